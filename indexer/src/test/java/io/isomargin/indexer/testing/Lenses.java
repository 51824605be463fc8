package io.isomargin.indexer.testing;

import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.testing.Deployment;
import java.math.BigInteger;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.tx.ReadonlyTransactionManager;

/** The engine's accrued-to-now views (health, debt, liquidation price, price) live in the deployment's lens. */
public final class Lenses {
    private Lenses() {}

    /** The deployment's lens with every call pinned to {@code block}. */
    public static IsomarginLens at(Deployment d, long block) {
        String address = d.lens().getContractAddress();
        IsomarginLens lens = IsomarginLens.load(address, d.chain().web3j(),
                new ReadonlyTransactionManager(d.chain().web3j(), address), d.chain().gasProvider());
        lens.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
        return lens;
    }
}
