package io.isomargin.keeper.ops;

import io.isomargin.keeper.ops.KeeperStatus.MarketVaults;
import io.isomargin.keeper.ops.KeeperStatus.PendingTx;
import io.isomargin.keeper.ops.KeeperStatus.VaultRisk;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Locale;

/** Prints a {@link KeeperStatus} as the readable tables of {@code keeper status}. */
public final class StatusTable {
    private static final BigInteger NO_DEBT = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    private StatusTable() {}

    public static void print(KeeperStatus s, PrintStream out) {
        out.printf(Locale.ROOT, "keeper %s at block #%d%s%n", s.sender(), s.block(),
                s.dryRun() ? " (DRY RUN: nothing is sent)" : "");
        out.printf(Locale.ROOT, "tracked vaults: %,d%n", s.trackedVaults());
        for (MarketVaults m : s.markets()) {
            out.printf(Locale.ROOT, "  market %d: %,d open, %,d liquidatable%s%n", m.marketId(), m.vaults(),
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
            out.printf(Locale.ROOT, "  %8s %6s  %-42s %10s %-4s %24s %24s%n", "vault", "market", "owner", "health",
                    "", "debt", "liquidation price");
            for (VaultRisk v : s.closest()) {
                out.printf(Locale.ROOT, "  %8d %6d  %-42s %10s %-4s %24s %24s%n", v.vaultId(), v.marketId(),
                        v.owner(), health(v.health()), v.liquidatable() ? "LIQ" : "", v.debt(), v.liquidationPrice());
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

    /** A WAD health as a ratio with 4 decimals, rounded down (1.0000 is the liquidation threshold). */
    static String health(BigInteger wad) {
        if (wad.equals(NO_DEBT)) return "no debt";
        return new BigDecimal(wad).movePointLeft(18).setScale(4, RoundingMode.DOWN).toPlainString();
    }

    static String gwei(BigInteger wei) {
        return new BigDecimal(wei).movePointLeft(9).stripTrailingZeros().toPlainString();
    }
}
