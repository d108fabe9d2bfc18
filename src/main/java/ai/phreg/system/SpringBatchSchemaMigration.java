package ai.phreg.system;

import java.sql.Connection;

import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.JavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.springframework.boot.jdbc.DatabaseDriver;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ScriptUtils;
import org.springframework.stereotype.Component;

/**
 * Flyway version 1: Spring Batch's job-repository tables, from the DDL script Spring
 * Batch ships for the connected database. Flyway owns the whole schema so that the
 * repository survives restarts of the service and later versions can migrate it.
 */
@Component
class SpringBatchSchemaMigration implements JavaMigration {

	@Override
	public String getDescription() {
		return "Spring Batch job repository";
	}

	@Override
	public MigrationVersion getVersion() {
		return MigrationVersion.fromVersion("1");
	}

	@Override
	public Integer getChecksum() {
		return null;
	}

	@Override
	public boolean canExecuteInTransaction() {
		return true;
	}

	@Override
	public void migrate(Context context) throws Exception {
		Connection connection = context.getConnection();
		DatabaseDriver driver = DatabaseDriver.fromJdbcUrl(connection.getMetaData().getURL());
		String platform = (driver == DatabaseDriver.POSTGRESQL) ? "postgresql" : driver.getId();
		ScriptUtils.executeSqlScript(connection,
				new ClassPathResource("org/springframework/batch/core/schema-" + platform + ".sql"));
	}

}
