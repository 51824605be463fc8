package io.isomargin.indexer.testing;

import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.indexer.verify.Verifier;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;

/** The mirror tests' view of {@link Verifier}: the mismatches as readable lines. */
public final class MirrorComparison {
    private MirrorComparison() {}

    /**
     * Every difference between the mirror and the chain at the cursor (see {@link Verifier#check}), the margin guard's
     * policies and rolling caps included, with {@code lenders} checked in every market; empty when they agree.
     */
    public static List<String> differences(Deployment d, PostgresDatabase db, Collection<String> lenders) throws SQLException {
        try (Connection c = db.connect()) {
            return new Verifier(d.chain().web3j(), d.engine().getContractAddress(), d.guard().getContractAddress())
                    .check(c, lenders).mismatches()
                    .stream().map(Verifier.Mismatch::line).toList();
        }
    }

    public static BigInteger single(Connection c, String sql) throws SQLException {
        try (ResultSet r = c.createStatement().executeQuery(sql)) {
            if (!r.next()) throw new IllegalStateException("no row for " + sql);
            return r.getBigDecimal(1).toBigIntegerExact();
        }
    }
}
