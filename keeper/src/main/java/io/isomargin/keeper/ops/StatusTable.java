package io.isomargin.keeper.ops;

import io.isomargin.keeper.ops.KeeperStatus.MarketVaults;
import io.isomargin.keeper.ops.KeeperStatus.PendingTx;
import io.isomargin.keeper.ops.KeeperStatus.VaultRisk;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Prints a {@link KeeperStatus} as the readable tables of {@code keeper status}: markets by name, amounts in whole
 * tokens with their symbols, the block with its time (a status from a keeper without token metadata prints the raw
 * figures; {@code keeper status --json} prints the answer as it came, raw values included).
 */
public final class StatusTable {
    private static final BigInteger NO_DEBT = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    private StatusTable() {}

    public static void print(KeeperStatus s, PrintStream out) {
        out.printf(Locale.ROOT, "keeper %s at block #%d%s%s%n", s.sender(), s.block(),
                s.blockTime() == null ? "" : " (" + s.blockTime().replace('T', ' ').replace("Z", " UTC") + ")",
                s.dryRun() ? " (DRY RUN: nothing is sent)" : "");
        if (s.liquidationMode() != null) {
            out.printf(Locale.ROOT, "liquidation mode: %s%n", s.liquidationMode().equals("capital-free")
                    ? "capital-free (repays by selling the seized collateral)"
                    : s.liquidationMode() + " (repays from the keeper's own loan tokens)");
        }
        out.printf(Locale.ROOT, "tracked vaults: %,d%n", s.trackedVaults());
        java.util.Map<Long, String> names = new java.util.HashMap<>();
        for (MarketVaults m : s.markets()) {
            if (m.name() != null) names.put(m.marketId(), m.name());
            out.printf(Locale.ROOT, "  market %d%s: %,d open, %,d liquidatable%s%n", m.marketId(),
                    m.name() == null ? "" : " " + m.name(), m.vaults(),
                    m.liquidatable(), m.guarded() == 0 ? "" : String.format(Locale.ROOT,
                            ", %,d guarded (%,d under their top-up trigger)", m.guarded(), m.belowTrigger()));
        }
        for (KeeperStatus.Condition c : s.conditions()) {
            out.printf(Locale.ROOT, "  CONDITION %s (its vaults are not counted as liquidatable)%n", c);
        }
        out.println();
        out.printf(Locale.ROOT, "closest to liquidation (%d):%n", s.closest().size());
        if (s.closest().isEmpty()) {
            out.println("  (no vault with debt)");
        } else {
            out.printf(Locale.ROOT, "  %8s %-14s  %-42s %10s %-4s %28s %28s%n", "vault", "market", "owner",
                    "health", "", "debt", "liquidation price");
            for (VaultRisk v : s.closest()) {
                String market = v.marketName() != null ? v.marketName()
                        : names.getOrDefault(v.marketId(), String.valueOf(v.marketId()));
                out.printf(Locale.ROOT, "  %8d %-14s  %-42s %10s %-4s %28s %28s%n", v.vaultId(), market,
                        v.owner(), health(v.health()), v.liquidatable() ? "LIQ" : "",
                        amount(v.debtFormatted(), v.debt(), v.loanSymbol()),
                        amount(v.liquidationPriceFormatted(), v.liquidationPrice(), v.loanSymbol()));
            }
        }
        out.println();
        out.printf(Locale.ROOT, "pending transactions (%d):%n", s.pending().size());
        if (s.pending().isEmpty()) {
            out.println("  (none)");
        } else {
            out.printf(Locale.ROOT, "  %6s  %-66s %-28s %14s %10s %10s %8s%n", "nonce", "hash", "label",
                    "max fee gwei", "tip gwei", "sent at", "replaced");
            for (PendingTx t : s.pending()) {
                out.printf(Locale.ROOT, "  %6d  %-66s %-28s %14s %10s %10s %8d%n", t.nonce(), t.hash(), t.label(),
                        gwei(t.maxFeePerGas()), gwei(t.maxPriorityFeePerGas()), "#" + t.sentBlock(),
                        t.replacements());
            }
        }
    }

    /** {@code 1,234.5 USDC} from a formatted amount; the raw one (grouped) when there is none. */
    static String amount(String formatted, BigInteger raw, String symbol) {
        if (formatted == null) return io.isomargin.abi.tokens.Amounts.group(raw.toString());
        return io.isomargin.abi.tokens.Amounts.group(formatted) + (symbol == null ? "" : " " + symbol);
    }

    /** A WAD health as a ratio with 4 decimals, rounded down (1.0000 is the liquidation threshold). */
    static String health(BigInteger wad) {
        if (wad.equals(NO_DEBT)) return "no debt";
        return new BigDecimal(wad).movePointLeft(18).setScale(4, RoundingMode.DOWN).toPlainString();
    }

    static String gwei(BigInteger wei) {
        return new BigDecimal(wei).movePointLeft(9).stripTrailingZeros().toPlainString();
    }
}
