package io.flightllm.sim.report;

import java.util.ArrayList;
import java.util.List;

/** A [prefill, decode] workload: a prompt of {@code prefill} tokens, then {@code decode} generated tokens. */
public record Workload(int prefill, int decode) {
    /** BRIEF.md section 5: the paper's six workloads. */
    public static final List<Workload> PAPER = List.of(new Workload(128, 512), new Workload(128, 1024),
            new Workload(128, 1536), new Workload(512, 512), new Workload(512, 1024), new Workload(512, 1536));

    public Workload {
        if (prefill < 1 || decode < 1) {
            throw new IllegalArgumentException("workload [" + prefill + ", " + decode
                    + "]: prefill and decode must be at least 1 token");
        }
    }

    /** Parses "128:512,512:1024" (also accepts "128x512"); the message names the bad entry. */
    public static List<Workload> parseList(String text) {
        List<Workload> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            String[] kv = p.split("[:x]");
            if (kv.length != 2) {
                throw new IllegalArgumentException("workload '" + p + "': expected PREFILL:DECODE, e.g. 128:512");
            }
            try {
                out.add(new Workload(Integer.parseInt(kv[0].trim()), Integer.parseInt(kv[1].trim())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("workload '" + p + "': expected two integers PREFILL:DECODE");
            }
        }
        return out;
    }

    /** Context of the last decode step (the KV positions the workload needs). */
    public int lastContext() {
        return prefill + decode - 1;
    }

    @Override
    public String toString() {
        return "[" + prefill + ", " + decode + "]";
    }
}
