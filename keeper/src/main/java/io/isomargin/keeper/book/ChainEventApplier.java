package io.isomargin.keeper.book;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.contracts.MockAggregator;
import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.RateModel;
import io.isomargin.abi.math.TierState;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;
import org.web3j.protocol.core.methods.response.BaseEventResponse;
import org.web3j.protocol.core.methods.response.Log;

/**
 * Applies engine, feed and margin-guard logs to a {@link PositionBook}, decoded by the shared {@link EventDecoder}.
 * Events carry the post-state they produced (vault collateral and debt shares, market totals after accrual), so the
 * book is set from event values, never recomputed. Events of markets outside the {@link BookScope}, and of their
 * vaults, are ignored; events that change nothing health depends on (lenders, operators, caps, ownership) too. Of the
 * guard's events, {@code PolicySet} and {@code PolicyRevoked} set and delete a followed vault's policy; a
 * {@code ToppedUp} changes the vault through the engine's own events in the same transaction and re-arms its policy at
 * the position it left.
 */
public final class ChainEventApplier {
    private final BookScope scope;
    private final EventDecoder decoder;
    private final PositionBook book;

    public ChainEventApplier(BookScope scope, EventDecoder decoder, PositionBook book) {
        this.scope = Objects.requireNonNull(scope, "scope");
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.book = Objects.requireNonNull(book, "book");
    }

    /** Applies one log; the caller has set the book's block ({@link PositionBook#at}). */
    public void apply(Log log) {
        String address = log.getAddress() == null ? "" : log.getAddress().toLowerCase(Locale.ROOT);
        if (address.equals(scope.engine())) {
            decoder.decodeEngine(log).ifPresent(e -> engineEvent(log, e));
        } else if (scope.isGuard(address)) {
            decoder.decodeGuard(log).ifPresent(this::guardEvent);
        } else if (scope.oracleByMarket().containsValue(address)) {
            decoder.decodeOracle(log).ifPresent(e -> {
                if (e instanceof MockAggregator.AnswerUpdatedEventResponse a) {
                    book.putPrice(address, new OraclePrice(a.current, a.roundId, a.updatedAt.longValueExact()));
                }
            });
        }
    }

    private void engineEvent(Log log, BaseEventResponse event) {
        switch (event) {
            case IsomarginEngine.MarketCreatedEventResponse e -> {
                long id = e.marketId.longValueExact();
                if (!scope.follows(id)) return;
                String oracle = e.oracle.toLowerCase(Locale.ROOT);
                if (!oracle.equals(scope.oracleByMarket().get(id))) {
                    throw new IllegalStateException("market " + id + " was created with oracle " + oracle
                            + ", but the configuration names " + scope.oracleByMarket().get(id));
                }
                book.putMarket(TrackedMarket.created(id, oracle, e.priceScale, 0));
            }
            case IsomarginEngine.TierSetEventResponse e -> market(e.marketId, log, m -> m.withTier(
                    e.index.intValueExact(), new TierState(e.minValue, e.imBps.intValueExact(),
                            e.mmFromBps.intValueExact(), e.mmToBps.intValueExact(), e.rampStart.longValueExact(),
                            e.rampEnd.longValueExact())));
            case IsomarginEngine.LiquidationParamsUpdatedEventResponse e -> market(e.marketId, log,
                    m -> m.withTerms(new LiquidationMath.Terms(e.liquidationBonusBps.intValueExact(),
                            e.protocolFeeBps.intValueExact(), e.closeFactorBps.intValueExact(), e.minDebt)));
            case IsomarginEngine.InterestParamsUpdatedEventResponse e -> market(e.marketId, log,
                    m -> m.withInterest(new RateModel(e.rateModel.baseRatePerSecond, e.rateModel.slope1PerSecond,
                            e.rateModel.slope2PerSecond, e.rateModel.kink), e.reserveFactorBps.intValueExact()));
            case IsomarginEngine.MaxOracleAgeUpdatedEventResponse e -> market(e.marketId, log,
                    m -> m.withMaxOracleAge(e.maxOracleAge.longValueExact()));
            case IsomarginEngine.PauseSetEventResponse e -> market(e.marketId, log, m -> m.withPaused(e.paused));
            case IsomarginEngine.MarketStateUpdatedEventResponse e -> market(e.marketId, log,
                    m -> m.withTotals(new MarketTotals(e.totalSupplyAssets, e.totalSupplyShares, e.totalBorrowAssets,
                            e.totalBorrowShares, e.insuranceFund, e.lastAccrual.longValueExact(),
                            e.interestRemainder)));
            case IsomarginEngine.VaultOpenedEventResponse e -> {
                long marketId = e.marketId.longValueExact();
                if (!scope.follows(marketId)) return;
                existingMarket(marketId, log);
                book.putVault(VaultPosition.opened(e.vaultId.longValueExact(), marketId,
                        e.owner.toLowerCase(Locale.ROOT)));
            }
            case IsomarginEngine.CollateralDepositedEventResponse e -> vault(e.vaultId,
                    v -> v.withCollateral(e.collateralAfter));
            case IsomarginEngine.CollateralWithdrawnEventResponse e -> vault(e.vaultId,
                    v -> v.withCollateral(e.collateralAfter));
            case IsomarginEngine.BorrowedEventResponse e -> vault(e.vaultId, v -> v.withDebtShares(e.debtSharesAfter));
            case IsomarginEngine.RepaidEventResponse e -> vault(e.vaultId, v -> v.withDebtShares(e.debtSharesAfter));
            case IsomarginEngine.BadDebtRealizedEventResponse e -> vault(e.vaultId,
                    v -> v.withDebtShares(BigInteger.ZERO));
            case IsomarginEngine.LiquidatedEventResponse e -> vault(e.vaultId,
                    v -> v.withCollateral(e.collateralAfter).withDebtShares(e.debtSharesAfter));
            case IsomarginEngine.VaultClosedEventResponse e -> {
                if (book.vault(e.vaultId.longValueExact()) != null) book.removeVault(e.vaultId.longValueExact());
            }
            // lenders, operators, caps, insurance top-ups, ownership, a proposed or cancelled risk change: nothing
            // health depends on (an executed change arrives as the usual ...Updated events)
            default -> { }
        }
    }

    private void guardEvent(BaseEventResponse event) {
        switch (event) {
            // a vault the book does not hold belongs to another market (a policy needs an existing vault)
            case MarginGuard.PolicySetEventResponse e -> {
                if (book.vault(e.vaultId.longValueExact()) != null) book.putPolicy(GuardPolicy.of(e));
            }
            case MarginGuard.PolicyRevokedEventResponse e -> book.removePolicy(e.vaultId.longValueExact());
            case MarginGuard.ToppedUpEventResponse e -> {
                GuardPolicy p = book.policy(e.vaultId.longValueExact());
                if (p != null) book.putPolicy(p.rearmed(e)); // the guard re-arms the vault where the top-up left it
            }
            default -> { }
        }
    }

    private void market(BigInteger marketId, Log log, java.util.function.UnaryOperator<TrackedMarket> change) {
        long id = marketId.longValueExact();
        if (!scope.follows(id)) return;
        book.putMarket(change.apply(existingMarket(id, log)));
    }

    private void vault(BigInteger vaultId, java.util.function.UnaryOperator<VaultPosition> change) {
        VaultPosition v = book.vault(vaultId.longValueExact());
        if (v != null) book.putVault(change.apply(v)); // absent: a vault of a market the book does not follow
    }

    private TrackedMarket existingMarket(long id, Log log) {
        TrackedMarket m = book.market(id);
        if (m == null) {
            throw new IllegalStateException("log #" + log.getBlockNumber() + "/" + log.getLogIndex() + " (tx "
                    + log.getTransactionHash() + ") names market " + id
                    + ", which the book never saw created: logs are missing (does the backfill start at the "
                    + "deployment block?)");
        }
        return m;
    }
}
