package io.isomargin.bench.report;

import static io.isomargin.bench.report.BenchReport.list;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** The report's PNG charts (XChart, headless): cost against size for each part. */
final class Charts {
    private static final int WIDTH = 760;
    private static final int HEIGHT = 420;

    private Charts() {}

    /** Writes the charts into {@code dir}; returns their file names, in the report's order. */
    static List<String> write(Path dir, Map<String, Object> indexer, Map<String, Object> keeper,
            Map<String, Long> gas, Map<String, String> gasOps) throws IOException {
        List<String> files = new ArrayList<>();
        List<Map<String, Object>> sizes = list(indexer, "backfillBySize");
        double[] events = sizes.stream().mapToDouble(r -> ((Number) r.get("events")).doubleValue() / 1000).toArray();

        XYChart seconds = xy("Indexer backfill: time against size", "events (thousands)", "seconds");
        seconds.addSeries("backfill time", events,
                sizes.stream().mapToDouble(r -> ((Number) r.get("seconds")).doubleValue()).toArray());
        files.add(save(seconds, dir, "indexer-backfill-seconds"));

        XYChart rate = xy("Indexer backfill: throughput against size", "events (thousands)", "events/s");
        rate.addSeries("events/s", events,
                sizes.stream().mapToDouble(r -> ((Number) r.get("eventsPerSecond")).doubleValue()).toArray());
        files.add(save(rate, dir, "indexer-backfill-rate"));

        XYChart detect = xy("Keeper detection: one price tick, p99 latency against vaults tracked", "vaults",
                "p99 (microseconds)");
        detect.getStyler().setXAxisLogarithmic(true);
        Map<String, TreeMap<Double, Double>> series = new TreeMap<>();
        for (Map<String, Object> r : list(keeper, "keeper_detect")) {
            String name = r.get("benchmark") + " (" + r.get("exposure_percent") + "% liquidatable)";
            series.computeIfAbsent(name, k -> new TreeMap<>()).put(((Number) r.get("vaults")).doubleValue(),
                    ((Number) r.get("p99_us")).doubleValue());
        }
        series.forEach((name, points) -> detect.addSeries(name,
                points.keySet().stream().mapToDouble(Double::doubleValue).toArray(),
                points.values().stream().mapToDouble(Double::doubleValue).toArray()));
        files.add(save(detect, dir, "keeper-detect"));

        if (keeper.get("keeper_e2e_blocks") instanceof List<?>) {
            CategoryChart clear = category("Keeper end to end: vaults liquidated per block after the price update",
                    "block after the price update", "vaults liquidated");
            List<String> blocks = new ArrayList<>();
            List<Number> counts = new ArrayList<>();
            long first = -1;
            for (Map<String, Object> r : list(keeper, "keeper_e2e_blocks")) {
                long b = ((Number) r.get("block")).longValue();
                if (first < 0) first = b - 1;
                blocks.add("+" + (b - first));
                counts.add((Number) r.get("liquidated"));
            }
            clear.addSeries("liquidated", blocks, counts);
            files.add(save(clear, dir, "keeper-clear"));
        }

        CategoryChart gasChart = category("Contract gas per call (forge gas snapshot)", "call", "gas");
        gasChart.getStyler().setXAxisLabelRotation(30);
        gasChart.addSeries("gas", new ArrayList<>(gasOps.keySet()),
                gasOps.keySet().stream().map(k -> (Number) gas.get(k)).toList());
        files.add(save(gasChart, dir, "gas"));
        return files;
    }

    private static XYChart xy(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setMarkerSize(8);
        return c;
    }

    private static CategoryChart category(String title, String x, String y) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x)
                .yAxisTitle(y).build();
        c.getStyler().setLegendVisible(false);
        return c;
    }

    private static String save(Chart<?, ?> chart, Path dir, String name) throws IOException {
        BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapFormat.PNG);
        return name + ".png";
    }
}
