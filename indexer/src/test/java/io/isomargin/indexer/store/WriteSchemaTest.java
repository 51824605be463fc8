package io.isomargin.indexer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every statement writing a batch sends each column as an array of the column's type ({@link Write#typeOf}, by
 * name): checked against the migrated schema, so a column added with a name of another type is caught here, not as
 * a silent cast.
 */
@ExtendWith(PostgresExtension.class)
class WriteSchemaTest {
    private static final Map<String, Write.Type> BY_SCHEMA = Map.of("bigint", Write.Type.BIGINT, "integer",
            Write.Type.INT, "smallint", Write.Type.SMALLINT, "boolean", Write.Type.BOOLEAN, "text", Write.Type.TEXT,
            "numeric", Write.Type.NUMERIC);

    @Test
    void everyWrittenColumnIsSentAsItsSchemaType() throws Exception {
        List<Write> writes = new ArrayList<>();
        for (Field f : Tables.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == Write.class) writes.add((Write) f.get(null));
        }
        assertTrue(writes.size() >= 20, "the statements: " + writes.size());
        try (PostgresDatabase db = PostgresDatabase.create()) {
            Migrations.migrate(db.jdbcUrl(), db.user(), db.password());
            try (Connection c = db.connect(); PreparedStatement q = c.prepareStatement("SELECT data_type"
                    + " FROM information_schema.columns WHERE table_name = ? AND column_name = ?")) {
                for (Write w : writes) {
                    assertTrue(Write.isWriteStatement(w.sql), w.table);
                    for (int i = 0; i < w.columns.size(); i++) {
                        q.setString(1, w.table);
                        q.setString(2, w.columns.get(i));
                        try (ResultSet r = q.executeQuery()) {
                            assertTrue(r.next(), w.table + "." + w.columns.get(i) + " exists");
                            assertEquals(BY_SCHEMA.get(r.getString(1)), w.types[i],
                                    w.table + "." + w.columns.get(i) + " is " + r.getString(1));
                        }
                    }
                }
            }
        }
    }

    @Test
    void vaultPagesLeaveRoomForInPlaceUpdates() throws Exception {
        try (PostgresDatabase db = PostgresDatabase.create()) {
            Migrations.migrate(db.jdbcUrl(), db.user(), db.password());
            try (Connection c = db.connect(); ResultSet r = c.createStatement().executeQuery(
                    "SELECT reloptions FROM pg_class WHERE relname = 'vaults'")) {
                assertTrue(r.next());
                assertEquals("{fillfactor=70}", r.getString(1));
            }
        }
    }
}
