package io.isomargin.keeper.book;

import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.oracle.FeedReader;

/** A feed's {@code latestRoundData} at a block as the book's {@link OraclePrice} (see {@link FeedReader}). */
public final class OracleReader {
    private final FeedReader feeds;

    public OracleReader(RpcClient rpc) {
        this.feeds = new FeedReader(rpc);
    }

    /** The feed's latest answer as of the end of {@code block}. */
    public OraclePrice latest(String oracle, long block) {
        FeedReader.Round r = feeds.latest(oracle, block);
        return new OraclePrice(r.answer(), r.roundId(), r.updatedAt());
    }
}
