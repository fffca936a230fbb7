package io.flightllm.sim.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small hand-written SVG chart: x/y axes (linear or log10) with ticks, line and marker series, and a legend. Enough
 * for the timing model's plots (decode-step latency against context, the roofline, the sweep's Pareto fronts).
 */
public final class SvgChart {
    private static final int W = 720;
    private static final int H = 440;
    private static final int LEFT = 70;
    private static final int RIGHT = 180;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

    /** A named series: points joined by lines, drawn as markers, or both. */
    public record Series(String name, double[] x, double[] y, boolean lines, boolean markers) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logX;
    private final boolean logY;
    private final List<Series> series = new ArrayList<>();

    public SvgChart(String title, String xLabel, String yLabel, boolean logX, boolean logY) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logX = logX;
        this.logY = logY;
    }

    public SvgChart add(Series s) {
        if (s.x().length != s.y().length) {
            throw new IllegalArgumentException("series " + s.name() + ": " + s.x().length + " x, " + s.y().length
                    + " y values");
        }
        series.add(s);
        return this;
    }

    private double tx(double v, boolean log) {
        return log ? Math.log10(v) : v;
    }

    public String render() {
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if ((logX && s.x()[i] <= 0) || (logY && s.y()[i] <= 0) || !Double.isFinite(s.x()[i])
                        || !Double.isFinite(s.y()[i])) {
                    continue;
                }
                x0 = Math.min(x0, tx(s.x()[i], logX));
                x1 = Math.max(x1, tx(s.x()[i], logX));
                y0 = Math.min(y0, tx(s.y()[i], logY));
                y1 = Math.max(y1, tx(s.y()[i], logY));
            }
        }
        if (x0 > x1) {
            x0 = 0;
            x1 = 1;
            y0 = 0;
            y1 = 1;
        }
        double[] xr = range(x0, x1, logX, !logX);
        double[] yr = range(y0, y1, logY, !logY);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n", LEFT,
                escape(title)));
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#444\"/>%n", LEFT, TOP, pw, ph));
        ticks(b, xr, logX, true, pw, ph);
        ticks(b, yr, logY, false, pw, ph);
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                LEFT + pw / 2, H - 12, escape(xLabel)));
        b.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 16 %d)\">%s</text>%n", TOP + ph / 2, TOP + ph / 2, escape(yLabel)));
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            String color = COLORS[si % COLORS.length];
            StringBuilder path = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                if ((logX && s.x()[i] <= 0) || (logY && s.y()[i] <= 0)) {
                    continue;
                }
                double px = LEFT + pw * (tx(s.x()[i], logX) - xr[0]) / (xr[1] - xr[0]);
                double py = TOP + ph - ph * (tx(s.y()[i], logY) - yr[0]) / (yr[1] - yr[0]);
                path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
                if (s.markers()) {
                    b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>%n",
                            px, py, color));
                }
            }
            if (s.lines() && !path.isEmpty()) {
                b.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                        path, color));
            }
            int ly = TOP + 10 + 20 * si;
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>%n",
                    W - RIGHT + 12, ly, color));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", W - RIGHT + 32, ly + 6,
                    escape(s.name())));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    /** The axis range: whole decades for log axes, a padded range from zero-ish for linear ones. */
    private static double[] range(double lo, double hi, boolean log, boolean fromZero) {
        if (log) {
            return new double[]{Math.floor(lo), Math.max(Math.ceil(hi), Math.floor(lo) + 1)};
        }
        double a = fromZero && lo > 0 ? 0 : lo;
        double span = hi - a;
        if (span <= 0) {
            span = Math.abs(hi) > 0 ? Math.abs(hi) : 1;
        }
        return new double[]{a, hi + 0.08 * span};
    }

    private void ticks(StringBuilder b, double[] r, boolean log, boolean xAxis, int pw, int ph) {
        List<Double> at = new ArrayList<>();
        if (log) {
            for (double d = r[0]; d <= r[1] + 1e-9; d++) {
                at.add(d);
            }
        } else {
            double step = niceStep((r[1] - r[0]) / 6);
            for (double v = Math.ceil(r[0] / step) * step; v <= r[1] + 1e-9; v += step) {
                at.add(v);
            }
        }
        for (double v : at) {
            double f = (v - r[0]) / (r[1] - r[0]);
            String label = log ? format(Math.pow(10, v)) : format(v);
            if (xAxis) {
                double px = LEFT + pw * f;
                b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                        + "stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, TOP,
                        px, TOP + ph, px, TOP + ph + 16, label));
            } else {
                double py = TOP + ph - ph * f;
                b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                        + "stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT, py,
                        LEFT + pw, py, LEFT - 6, py + 4, label));
            }
        }
    }

    private static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[]{1, 2, 2.5, 5, 10}) {
            if (m * p >= raw) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String format(double v) {
        if (v != 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-2)) {
            return String.format(Locale.ROOT, "%.0e", v);
        }
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
