package io.isomargin.indexer.store;

import io.vertx.sqlclient.Tuple;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One table's write of a commit as a single statement whatever the number of rows: each column goes as one array
 * parameter, which PostgreSQL turns back into rows with {@code unnest} ({@code INSERT INTO t (a, b) SELECT
 * unnest($1::int8[]), unnest($2::text[]::numeric[]) ...}). One parse, plan and execution per table and commit, a
 * statement text that never changes (kept prepared by the pool, {@link MirrorPool}), and no limit of 65,535
 * parameters to cut a batch at.
 *
 * <p>The arrays go in the client's binary format, numerics as their decimal text in a {@code text[]} cast by
 * PostgreSQL (the client cannot send a binary {@code NUMERIC}). The {@code unnest} calls stand in the select list,
 * where PostgreSQL runs them in step (the arrays have one element per row, so the rows are those of
 * {@code unnest(a, b, ...)} in {@code FROM}). Rows of an upsert must have distinct keys (PostgreSQL refuses to update
 * a row twice in one statement): the caller keeps the last row of each key.
 */
final class Write {
    /** A column's element type: the parameter's array type in the statement and the Java class of its elements. */
    enum Type {
        BIGINT("int8[]", Long.class),
        INT("int4[]", Integer.class),
        SMALLINT("int2[]", Short.class),
        BOOLEAN("bool[]", Boolean.class),
        TEXT("text[]", String.class),
        /** Decimal text, cast by PostgreSQL. */
        NUMERIC("text[]::numeric[]", String.class);

        final String array;
        final Class<?> element;

        Type(String array, Class<?> element) {
            this.array = array;
            this.element = element;
        }

        Object[] newArray(int n) {
            return (Object[]) java.lang.reflect.Array.newInstance(element, n);
        }

        Object convert(Object v) {
            if (v == null) return null;
            return switch (this) {
                case BIGINT -> v instanceof Long l ? l : ((Number) v).longValue();
                case INT -> v instanceof Integer i ? i : Math.toIntExact(((Number) v).longValue());
                case SMALLINT -> v instanceof Short s ? s : (short) ((Number) v).intValue();
                case BOOLEAN -> (Boolean) v;
                case TEXT, NUMERIC -> (String) v;
            };
        }
    }

    private static final Set<String> INTS = Set.of("log_index", "idx", "im_bps", "mm_from_bps", "mm_to_bps",
            "liquidation_bonus_bps", "protocol_fee_bps", "close_factor_bps", "reserve_factor_bps",
            "proposed_log_index", "resolved_log_index", "fee_bps", "set_log_index");
    private static final Set<String> SMALLINTS = Set.of("decimals");
    private static final Set<String> BOOLEANS = Set.of("paused", "closed", "approved");
    private static final Set<String> TEXTS = Set.of("loan_token", "collateral_token", "oracle", "tx_hash", "event",
            "block_hash", "owner", "lender", "operator", "liquidator", "kind", "account", "proposed_tx", "status",
            "resolved_tx", "executed_by", "mode", "set_by", "set_tx", "revoked_by", "executor", "action", "hash",
            "parent_hash", "address", "symbol", "symbol_source");
    private static final Set<String> NUMERICS = Set.of("price_scale", "min_debt", "base_rate_per_second",
            "slope1_per_second", "slope2_per_second", "kink", "supply_cap", "borrow_cap", "total_supply_assets",
            "total_supply_shares", "total_borrow_assets", "total_borrow_shares", "insurance_fund",
            "interest_remainder", "min_value", "collateral", "debt_shares", "collateral_before", "collateral_after",
            "debt_shares_before", "debt_shares_after", "shares", "shares_after", "answer", "round_id",
            "repaid_assets", "repaid_shares", "seized_collateral", "protocol_fee", "bad_debt",
            "covered_by_insurance", "socialized", "amount", "trigger_health", "target_health", "max_per_top_up",
            "max_per_day", "armed_collateral", "armed_debt_shares", "fee", "health_before", "health_after",
            "used_last_24h", "taken");

    /** The type of the mirror's column {@code name} (the same name has the same type in every table; checked
     * against the schema by a test); the rest are {@code bigint}. */
    static Type typeOf(String name) {
        if (INTS.contains(name)) return Type.INT;
        if (SMALLINTS.contains(name)) return Type.SMALLINT;
        if (BOOLEANS.contains(name)) return Type.BOOLEAN;
        if (TEXTS.contains(name)) return Type.TEXT;
        if (NUMERICS.contains(name)) return Type.NUMERIC;
        return Type.BIGINT;
    }

    /** Every statement's text: the pool keeps them prepared whatever their length. */
    private static final Set<String> ALL = java.util.concurrent.ConcurrentHashMap.newKeySet();

    final String table;
    final List<String> columns;
    final Type[] types;
    final String sql;

    Write(String table, List<String> columns, String onConflict) {
        this.table = table;
        this.columns = List.copyOf(columns);
        this.types = columns.stream().map(Write::typeOf).toArray(Type[]::new);
        StringBuilder b = new StringBuilder("INSERT INTO ").append(table).append(" (")
                .append(String.join(", ", columns)).append(") SELECT ");
        for (int i = 0; i < types.length; i++) {
            if (i > 0) b.append(", ");
            b.append("unnest($").append(i + 1).append("::").append(types[i].array).append(')');
        }
        this.sql = b.append(onConflict).toString();
        ALL.add(sql);
    }

    static Write insert(String table, List<String> columns) {
        return new Write(table, columns, "");
    }

    /** An insert that overwrites the row of the same {@code key} (comma-separated columns). */
    static Write upsert(String table, List<String> columns, String key) {
        List<String> keys = Arrays.stream(key.split(",")).map(String::trim).toList();
        String set = columns.stream().filter(c -> !keys.contains(c)).map(c -> c + " = EXCLUDED." + c)
                .collect(Collectors.joining(", "));
        return new Write(table, columns, " ON CONFLICT (" + key + ") DO UPDATE SET " + set);
    }

    /** Whether {@code sql} is one of the statements written here. */
    static boolean isWriteStatement(String sql) {
        return ALL.contains(sql);
    }

    /**
     * The parameters writing {@code rows} (each holding this statement's columns in order): one array per column.
     */
    Tuple params(List<Tuple> rows) {
        int n = rows.size();
        int width = types.length;
        Object[][] columns = new Object[width][];
        for (int c = 0; c < width; c++) columns[c] = types[c].newArray(n);
        for (int r = 0; r < n; r++) { // row by row: each row's values are read while they are in cache
            Tuple row = rows.get(r);
            if (row.size() != width) {
                throw new IllegalArgumentException(table + ": a row of " + row.size() + " values for " + width
                        + " columns");
            }
            for (int c = 0; c < width; c++) columns[c][r] = types[c].convert(row.getValue(c));
        }
        return Tuple.wrap(Arrays.asList((Object[]) columns));
    }
}
