package io.isomargin.abi.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Creates one {@link PostgresDatabase} per test class (before all, dropped after all) and injects it into
 * constructors, lifecycle and test methods. Fails the class, never skips it, when no PostgreSQL server is available.
 *
 * <pre>{@code
 * @ExtendWith(PostgresExtension.class)
 * class MyTest {
 *     @Test void works(PostgresDatabase db) throws SQLException {
 *         try (Connection c = db.connect()) { ... }
 *     }
 * }
 * }</pre>
 *
 * <p>Tests of one class share the database; clean up or use distinct rows.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PostgresExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put(PostgresDatabase.class, new DatabaseResource(PostgresDatabase.create()));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        DatabaseResource resource = context.getStore(NS).remove(PostgresDatabase.class, DatabaseResource.class);
        if (resource != null) {
            resource.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == PostgresDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        DatabaseResource resource = context.getStore(NS).get(PostgresDatabase.class, DatabaseResource.class);
        if (resource == null) {
            throw new ParameterResolutionException("no PostgresDatabase: register PostgresExtension on the test "
                    + "class (a static @RegisterExtension field or @ExtendWith)");
        }
        return resource.database;
    }

    /** Closed by JUnit with the class's store should afterAll not run. */
    private record DatabaseResource(PostgresDatabase database) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            database.close();
        }
    }
}
