package io.isomargin.indexer.store;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** Brings the mirror's schema up to date with the Flyway migrations in {@code db/migration} (run at start-up). */
public final class Migrations {
    private Migrations() {}

    /**
     * Applies every pending migration over JDBC.
     *
     * @return how many migrations were applied (0 when the schema was current)
     */
    public static int migrate(String jdbcUrl, String user, String password) {
        MigrateResult result = Flyway.configure()
                .dataSource(jdbcUrl, user, password)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        return result.migrationsExecuted;
    }
}
