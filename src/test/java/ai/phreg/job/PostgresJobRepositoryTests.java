package ai.phreg.job;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The job scenarios on PostgreSQL: a Testcontainers database where Docker runs, otherwise
 * a fresh database on the local server ({@code PHREG_TEST_POSTGRES}, default
 * {@code jdbc:postgresql://127.0.0.1:5432/}, user {@code postgres}), dropped afterwards.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
class PostgresJobRepositoryTests extends JobRepositoryScenarios {

	private static PostgreSQLContainer container;

	private static String localDatabase;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws SQLException {
		storage(registry);
		if (DockerClientFactory.instance().isDockerAvailable()) {
			container = new PostgreSQLContainer("postgres:16-alpine");
			container.start();
			registry.add("spring.datasource.url", container::getJdbcUrl);
			registry.add("spring.datasource.username", container::getUsername);
			registry.add("spring.datasource.password", container::getPassword);
			return;
		}
		localDatabase = "phreg_test_" + UUID.randomUUID().toString().replace("-", "");
		try (Connection admin = DriverManager.getConnection(localServer() + "postgres", "postgres", "");
				Statement statement = admin.createStatement()) {
			statement.execute("create database " + localDatabase);
		}
		registry.add("spring.datasource.url", () -> localServer() + localDatabase);
		registry.add("spring.datasource.username", () -> "postgres");
		registry.add("spring.datasource.password", () -> "");
	}

	private static String localServer() {
		String configured = System.getenv("PHREG_TEST_POSTGRES");
		return (configured != null && !configured.isBlank()) ? configured : "jdbc:postgresql://127.0.0.1:5432/";
	}

	@AfterAll
	static void dropDatabase() throws SQLException {
		if (container != null) {
			container.stop();
		}
		if (localDatabase != null) {
			try (Connection admin = DriverManager.getConnection(localServer() + "postgres", "postgres", "");
					Statement statement = admin.createStatement()) {
				statement.execute("drop database if exists " + localDatabase + " with (force)");
			}
		}
	}

}
