package io.isomargin.keeper.ops;

import io.isomargin.abi.tokens.Amounts;
import io.isomargin.abi.tokens.TokenMetadata;
import io.isomargin.abi.tokens.TokenReader;
import io.isomargin.keeper.book.VaultPosition;
import io.isomargin.keeper.risk.VaultHealth;
import io.isomargin.keeper.send.TxSender;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * What {@code /status} answers and {@code keeper status} prints: the vaults tracked, the ones closest to liquidation
 * and the transactions in flight.
 *
 * @param sender        the keeper's sending address
 * @param dryRun        true when nothing is sent
 * @param block         the block the vault figures are at
 * @param trackedVaults open vaults in the book
 * @param markets       per market: open vaults, how many are liquidatable, guarded, and guarded under their trigger
 * @param closest       the vaults with debt closest to liquidation, lowest health first (usually 10)
 * @param pending       transactions sent and not yet mined, by nonce
 * @param conditions    what is wrong outside the keeper, per market (a stale oracle): its vaults are not counted as
 *                      liquidatable meanwhile
 * @param blockTime     {@code block}'s time in ISO 8601 UTC (null before the first block, or from an older keeper)
 * @param liquidationMode how liquidations are paid ({@code liquidation.mode}): {@code funded} from the keeper's own
 *                      loan tokens, {@code capital-free} by selling the seized collateral (null from an older keeper)
 */
public record KeeperStatus(String sender, boolean dryRun, long block, int trackedVaults, List<MarketVaults> markets,
        List<VaultRisk> closest, List<PendingTx> pending, List<Condition> conditions, String blockTime,
        String liquidationMode) {
    /** How many vaults {@code /status} lists as closest to liquidation. */
    public static final int CLOSEST = 10;

    public KeeperStatus {
        Objects.requireNonNull(sender, "sender");
        markets = List.copyOf(markets);
        closest = List.copyOf(closest);
        pending = List.copyOf(pending);
        conditions = conditions == null ? List.of() : List.copyOf(conditions); // absent in an older keeper's JSON
    }

    /** Without conditions. */
    public KeeperStatus(String sender, boolean dryRun, long block, int trackedVaults, List<MarketVaults> markets,
            List<VaultRisk> closest, List<PendingTx> pending) {
        this(sender, dryRun, block, trackedVaults, markets, closest, pending, List.of());
    }

    /** Without the block's time. */
    public KeeperStatus(String sender, boolean dryRun, long block, int trackedVaults, List<MarketVaults> markets,
            List<VaultRisk> closest, List<PendingTx> pending, List<Condition> conditions) {
        this(sender, dryRun, block, trackedVaults, markets, closest, pending, conditions, null, null);
    }

    /**
     * A market token as the keeper read it once ({@link TokenReader}).
     *
     * @param decimals     null when the token answers no {@code decimals()}
     * @param symbolSource {@code string}, {@code bytes32}, or {@code address} when {@code symbol} is the short address
     */
    public record Token(String address, String symbol, Integer decimals, String symbolSource) {
        public static Token of(TokenMetadata t) {
            return new Token(t.address(), t.symbol(), t.decimals(), t.source().column());
        }
    }

    /** What a person reads a market's figures in: its name ({@code WETH/USDC}) and tokens. */
    public record MarketLabel(long marketId, TokenMetadata loan, TokenMetadata collateral) {
        public MarketLabel {
            Objects.requireNonNull(loan, "loan");
            Objects.requireNonNull(collateral, "collateral");
        }

        public String name() {
            return TokenMetadata.marketName(collateral, loan);
        }

        /** An oracle answer as whole loan tokens per whole collateral token (the engine's {@code priceScale});
         * null without both decimals. */
        String price(BigInteger answer, BigInteger priceScale) {
            if (loan.decimals() == null || collateral.decimals() == null) return null;
            return Amounts.price(answer, priceScale, loan.decimals(), collateral.decimals());
        }
    }

    /**
     * A named condition of one market outside the keeper.
     *
     * @param kind    stable for alerts: {@code price-unusable} (stale, from the future, unscalable)
     * @param message what the keeper saw
     */
    public record Condition(long marketId, String kind, String message) {
        /** As one line: {@code market 1: oracle answer is stale (...)}. */
        @Override
        public String toString() {
            return "market " + marketId + ": " + message;
        }
    }

    /**
     * One market's vault counts.
     *
     * @param guarded      open vaults a live margin-guard policy defends (not expired, set by the vault's owner, armed)
     * @param belowTrigger guarded vaults whose health is below their policy's trigger (to be topped up)
     */
    public record MarketVaults(long marketId, int vaults, int liquidatable, int guarded, int belowTrigger,
            String name, Token loanToken, Token collateralToken) {
        /** Without guarded vaults. */
        public MarketVaults(long marketId, int vaults, int liquidatable) {
            this(marketId, vaults, liquidatable, 0, 0);
        }

        /** Without names. */
        public MarketVaults(long marketId, int vaults, int liquidatable, int guarded, int belowTrigger) {
            this(marketId, vaults, liquidatable, guarded, belowTrigger, null, null, null);
        }

        /** With the market's name and tokens from {@code label} (none when null). */
        static MarketVaults of(long marketId, int vaults, int liquidatable, int guarded, int belowTrigger,
                MarketLabel label) {
            return label == null ? new MarketVaults(marketId, vaults, liquidatable, guarded, belowTrigger)
                    : new MarketVaults(marketId, vaults, liquidatable, guarded, belowTrigger, label.name(),
                            Token.of(label.loan()), Token.of(label.collateral()));
        }
    }

    /**
     * One vault's distance to liquidation at {@link KeeperStatus#block}.
     *
     * @param health           WAD ({@code 1e18} = the liquidation threshold); liquidatable below it
     * @param debt             loan-token base units with interest
     * @param liquidationPrice the lowest oracle answer at which the vault is healthy
     * @param marketName       the market's name ({@code WETH/USDC}; null without token metadata)
     * @param loanSymbol       the loan token's symbol: what {@code debtFormatted} and {@code liquidationPriceFormatted}
     *                         are in
     * @param debtFormatted    {@code debt} in whole loan tokens, exact (null when the decimals are unknown)
     * @param liquidationPriceFormatted {@code liquidationPrice} in whole loan tokens per whole collateral token
     */
    public record VaultRisk(long vaultId, long marketId, String owner, BigInteger health, BigInteger debt,
            BigInteger liquidationPrice, boolean liquidatable, String marketName, String loanSymbol,
            String debtFormatted, String liquidationPriceFormatted) {
        public VaultRisk {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(health, "health");
            Objects.requireNonNull(debt, "debt");
            Objects.requireNonNull(liquidationPrice, "liquidationPrice");
        }

        /** Without names and formatted amounts. */
        public VaultRisk(long vaultId, long marketId, String owner, BigInteger health, BigInteger debt,
                BigInteger liquidationPrice, boolean liquidatable) {
            this(vaultId, marketId, owner, health, debt, liquidationPrice, liquidatable, null, null, null, null);
        }

        /** From the book's position and its exact health, read in {@code label}'s units (none when null) with the
         * market's {@code priceScale}. */
        public static VaultRisk of(VaultPosition position, VaultHealth health, MarketLabel label,
                BigInteger priceScale) {
            if (label == null) {
                return new VaultRisk(position.id(), position.marketId(), position.owner(), health.health(),
                        health.debt(), health.liquidationPrice(), health.liquidatable());
            }
            return new VaultRisk(position.id(), position.marketId(), position.owner(), health.health(), health.debt(),
                    health.liquidationPrice(), health.liquidatable(), label.name(), label.loan().symbol(),
                    label.loan().format(health.debt()), label.price(health.liquidationPrice(), priceScale));
        }
    }

    /**
     * One transaction in flight.
     *
     * @param hash         the hash of its latest version
     * @param sentBlock    the block at which that version was sent
     * @param replacements how many times it was replaced with bumped fees
     */
    public record PendingTx(long nonce, String hash, String label, BigInteger maxFeePerGas,
            BigInteger maxPriorityFeePerGas, long sentBlock, int replacements) {
        /** From the sender's in-flight entry. */
        public static PendingTx of(TxSender.Pending p) {
            return new PendingTx(p.nonce(), p.hash(), p.request().label(), p.fees().maxFeePerGas(),
                    p.fees().maxPriorityFeePerGas(), p.lastSentBlock(), p.hashes().size() - 1);
        }
    }

    /** Lowest health first, then vault id. */
    public static final Comparator<VaultRisk> CLOSEST_FIRST =
            Comparator.comparing(VaultRisk::health).thenComparingLong(VaultRisk::vaultId);

    /**
     * The {@code n} vaults with debt closest to liquidation among {@code vaults}, lowest health first, in one pass
     * that keeps only {@code n} at a time.
     */
    public static List<VaultRisk> closest(Iterable<VaultRisk> vaults, int n) {
        if (n <= 0) return List.of();
        PriorityQueue<VaultRisk> worst = new PriorityQueue<>(CLOSEST_FIRST.reversed());
        for (VaultRisk v : vaults) {
            if (v.debt().signum() == 0) continue;
            worst.add(v);
            if (worst.size() > n) worst.poll();
        }
        List<VaultRisk> out = new ArrayList<>(worst);
        out.sort(CLOSEST_FIRST);
        return out;
    }
}
