package io.isomargin.indexer.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The indexer's tests get a deployed chain and a fresh database from the abi module's shared harness. */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class SharedHarnessTest {
    @Test
    void providesADeployedChainAndAFreshDatabase(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        assertEquals(BigInteger.TWO, d.engine().marketCount().send());
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("select current_database()")) {
            rs.next();
            assertEquals(db.database(), rs.getString(1));
        }
        assertEquals(31337, chain.chainId());
    }
}
