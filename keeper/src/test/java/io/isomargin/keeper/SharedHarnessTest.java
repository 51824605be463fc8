package io.isomargin.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The keeper's tests get a deployed chain from the abi module's shared harness. */
@ExtendWith(AnvilExtension.class)
class SharedHarnessTest {
    @Test
    void providesADeployedChainWithAFreshPrice(AnvilChain chain, Deployment d) throws Exception {
        d.setPrice(d.wethMarket(), BigInteger.valueOf(1_900_00000000L));
        assertTrue(d.lens().price(d.wethMarket()).send().signum() > 0);
        assertEquals(d.engine().getContractAddress().toLowerCase(), d.lens().engine().send().toLowerCase());
    }
}
