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
 */
public record DeploymentFile(long chainId, String engine, String lens, String guard, long deployBlock, String owner,
        String guardian, List<Market> markets) {
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

    /** One listed market. */
    public record Market(BigInteger id, String name, String loanToken, String collateralToken, String oracle) {}

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
                    address(path, at + "oracle", m.path("oracle"))));
        }
        return new DeploymentFile(number(path, "chainId", root.path("chainId")),
                address(path, "engine", root.path("engine")), address(path, "lens", root.path("lens")),
                root.has("guard") ? address(path, "guard", root.path("guard")) : null,
                number(path, "deployBlock", root.path("deployBlock")),
                address(path, "owner", root.path("owner")), address(path, "guardian", root.path("guardian")),
                List.copyOf(markets));
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
