package io.isomargin.demo;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Many transactions from one account sent without waiting for each other (nonces counted locally, signed here), then
 * awaited together: the way to open thousands of vaults on a chain that mines once a second.
 */
final class TxBatch {
    static final BigInteger MAX_FEE = BigInteger.valueOf(200_000_000_000L); // 200 gwei: local chains only
    static final BigInteger TIP = BigInteger.valueOf(1_000_000_000L);

    private final Web3j web3j;
    private final Credentials from;
    private final long chainId;
    private final List<String> hashes = new ArrayList<>();
    private long nonce;

    TxBatch(Web3j web3j, Credentials from, long chainId) throws java.io.IOException {
        this.web3j = web3j;
        this.from = from;
        this.chainId = chainId;
        this.nonce = web3j.ethGetTransactionCount(from.getAddress(), DefaultBlockParameterName.PENDING).send()
                .getTransactionCount().longValueExact();
    }

    /** Signs and sends a call; returns its hash. */
    String send(String to, String data, long gasLimit) throws java.io.IOException {
        RawTransaction raw = RawTransaction.createTransaction(chainId, BigInteger.valueOf(nonce++),
                BigInteger.valueOf(gasLimit), to, BigInteger.ZERO, data, TIP, MAX_FEE);
        String hex = Numeric.toHexString(TransactionEncoder.signMessage(raw, chainId, from));
        EthSendTransaction sent = web3j.ethSendRawTransaction(hex).send();
        // a retried send (RetryingHttpService) whose first copy arrived: the node knows it by hash
        if (sent.hasError() && !knownAlready(sent.getError().getMessage())) {
            throw new IllegalStateException("sending from " + from.getAddress() + " failed: " + sent.getError()
                    .getMessage());
        }
        String hash = Hash.sha3(hex);
        hashes.add(hash);
        return hash;
    }

    /** Anvil's "transaction already imported", Hardhat's "Known transaction", geth's "already known". */
    static boolean knownAlready(String error) {
        String e = error.toLowerCase(java.util.Locale.ROOT);
        return e.contains("already known") || e.contains("already imported") || e.contains("known transaction");
    }

    int size() {
        return hashes.size();
    }

    /** Waits for every receipt; fails naming the first transaction that reverted. */
    List<TransactionReceipt> await(Duration timeout) throws InterruptedException, java.io.IOException {
        List<TransactionReceipt> receipts = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String hash : hashes) {
            TransactionReceipt r;
            while ((r = web3j.ethGetTransactionReceipt(hash).send().getTransactionReceipt().orElse(null)) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("transaction " + hash + " of " + from.getAddress()
                            + " not mined within " + timeout);
                }
                Thread.sleep(200);
            }
            if (!r.isStatusOK()) {
                throw new IllegalStateException("transaction " + hash + " of " + from.getAddress() + " reverted");
            }
            receipts.add(r);
        }
        hashes.clear();
        return receipts;
    }
}
