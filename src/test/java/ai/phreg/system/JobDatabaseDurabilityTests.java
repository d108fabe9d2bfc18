package ai.phreg.system;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.PropertyPlaceholderHelper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded job database keeps what it committed when the service is killed right
 * after: H2 otherwise writes commits to its file up to half a second later, and a crashed
 * service would resume from a checkpoint whose step history and execution context were
 * never stored.
 */
class JobDatabaseDurabilityTests {

	@TempDir
	Path storage;

	@Test
	void aCommitSurvivesTheProcessBeingKilledRightAfterIt() throws Exception {
		// given the service's own database URL, in a process that commits a row
		String url = applicationDatabaseUrl(this.storage);
		Process process = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
				System.getProperty("java.class.path"), CommitThenWait.class.getName(), url)
			.redirectError(ProcessBuilder.Redirect.INHERIT)
			.start();
		try (BufferedReader output = new BufferedReader(
				new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
			assertThat(output.readLine()).isEqualTo(CommitThenWait.COMMITTED);
		}

		// when the process is killed as soon as it says so
		process.destroyForcibly().waitFor();

		// then the row is in the database
		try (Connection connection = DriverManager.getConnection(url, "sa", "");
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("select step from durability_probe")) {
			assertThat(rows.next()).as("the committed row").isTrue();
			assertThat(rows.getLong(1)).isEqualTo(CommitThenWait.STEP);
		}
	}

	/**
	 * {@code spring.datasource.url} of {@code application.yml} under {@code storageRoot}.
	 */
	private static String applicationDatabaseUrl(Path storageRoot) {
		YamlPropertiesFactoryBean yaml = new YamlPropertiesFactoryBean();
		yaml.setResources(new ClassPathResource("application.yml"));
		Properties properties = yaml.getObject();
		properties.setProperty("phreg.storage-root", storageRoot.toString());
		return new PropertyPlaceholderHelper("${", "}", ":", null, false)
			.replacePlaceholders(properties.getProperty("spring.datasource.url"), properties);
	}

	/**
	 * Commits one row to the database at the URL it is given, says so on its standard
	 * output and waits to be killed.
	 */
	static final class CommitThenWait {

		static final String COMMITTED = "committed";

		static final long STEP = 10;

		public static void main(String[] args) throws SQLException, InterruptedException {
			try (Connection connection = DriverManager.getConnection(args[0], "sa", "");
					Statement statement = connection.createStatement()) {
				statement.execute("create table durability_probe (step bigint)");
				statement.execute("insert into durability_probe values (" + STEP + ")");
				System.out.println(COMMITTED);
				System.out.flush();
				new CountDownLatch(1).await();
			}
		}

	}

}
