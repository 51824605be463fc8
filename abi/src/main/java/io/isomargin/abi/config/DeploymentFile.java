package io.isomargin.abi.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The deployment file the forge scripts write ({@code contracts/script/DeploymentWriter.sol}): chain id, engine
 * address, the address of its lens ({@code IsomarginLens}, the engine's accrued-to-now views; required), of its
 * margin guard ({@code MarginGuard}; {@code null} in a file written before the guard existed, which then has no
 * guard), deployment block and the markets. The indexer and keeper configs point at it.
 *
 * <p>Optional, for capital-free liquidation (absent from a deployment without it, then {@code null}):
 * {@code liquidator} (the {@code SwapLiquidator}), {@code uniswap} (the Uniswap V2 factory and router it sells
 * through) and each market's {@code pair}.
 */
public record DeploymentFile(long chainId, String engine, String lens, String guard, long deployBlock, String owner,
        String guardian, List<Market> markets, String liquidator, Uniswap uniswap) {
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

    /** One listed market; {@code pair} is its Uniswap V2 pool (loan token / collateral), {@code null} without one. */
    public record Market(BigInteger id, String name, String loanToken, String collateralToken, String oracle,
            String pair) {
        /** A market without a pool. */
        public Market(BigInteger id, String name, String loanToken, String collateralToken, String oracle) {
            this(id, name, loanToken, collateralToken, oracle, null);
        }
    }

    /** The Uniswap V2 deployment the liquidator sells through. */
    public record Uniswap(String factory, String router) {}

    /** A deployment without the capital-free periphery. */
    public DeploymentFile(long chainId, String engine, String lens, String guard, long deployBlock, String owner,
            String guardian, List<Market> markets) {
        this(chainId, engine, lens, guard, deployBlock, owner, guardian, markets, null, null);
    }

    /** Reads and validates {@code path}; errors name the file and the field. */
    public static DeploymentFile read(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("deployment", path.toString(), "no such file (the forge deploy scripts write it)");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(path.toFile());
        } catch (IOException e) {
            throw new ConfigException("deployment", path.toString(), "not valid JSON: " + e.getMessage());
        }
        List<Market> markets = new ArrayList<>();
        JsonNode list = root.path("markets");
        if (!list.isArray() || list.isEmpty()) throw invalid(path, "markets", list, "a non-empty array");
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String at = "markets[" + i + "].";
            markets.add(new Market(BigInteger.valueOf(number(path, at + "id", m.path("id"))), m.path("name").asText(""),
                    address(path, at + "loanToken", m.path("loanToken")),
                    address(path, at + "collateralToken", m.path("collateralToken")),
                    address(path, at + "oracle", m.path("oracle")),
                    m.has("pair") ? address(path, at + "pair", m.path("pair")) : null));
        }
        Uniswap uniswap = null;
        if (root.has("uniswap")) {
            JsonNode u = root.path("uniswap");
            if (!u.isObject()) throw invalid(path, "uniswap", u, "an object {\"factory\", \"router\"}");
            uniswap = new Uniswap(address(path, "uniswap.factory", u.path("factory")),
                    address(path, "uniswap.router", u.path("router")));
        }
        return new DeploymentFile(number(path, "chainId", root.path("chainId")),
                address(path, "engine", root.path("engine")), address(path, "lens", root.path("lens")),
                root.has("guard") ? address(path, "guard", root.path("guard")) : null,
                number(path, "deployBlock", root.path("deployBlock")),
                address(path, "owner", root.path("owner")), address(path, "guardian", root.path("guardian")),
                List.copyOf(markets),
                root.has("liquidator") ? address(path, "liquidator", root.path("liquidator")) : null, uniswap);
    }

    /**
     * True when the deployment has what capital-free liquidation needs: the liquidator, the Uniswap deployment and a
     * pool for every market.
     */
    public boolean hasCapitalFree() {
        return liquidator != null && uniswap != null && markets.stream().allMatch(m -> m.pair() != null);
    }

    /** True when the deployment has a margin guard. */
    public boolean hasGuard() {
        return guard != null;
    }

    /** The oracle addresses of all markets, without duplicates. */
    public List<String> oracles() {
        return markets.stream().map(Market::oracle).distinct().toList();
    }

    private static long number(Path path, String field, JsonNode n) {
        if (!n.canConvertToLong() || n.asLong() < 0) throw invalid(path, field, n, "a non-negative integer");
        return n.asLong();
    }

    private static String address(Path path, String field, JsonNode n) {
        if (!n.isTextual() || !ADDRESS.matcher(n.asText()).matches()) throw invalid(path, field, n, "a 0x address");
        return n.asText();
    }

    private static ConfigException invalid(Path path, String field, JsonNode n, String allowed) {
        return new ConfigException(path + ": " + field, n.isMissingNode() ? null : n.toString(), allowed);
    }
}
