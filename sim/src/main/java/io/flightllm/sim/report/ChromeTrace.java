package io.flightllm.sim.report;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.Queue;
import io.flightllm.sim.timing.Launch;
import io.flightllm.sim.timing.TraceSink;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A timeline of one launch in the Chrome trace-event format (JSON; opens in Perfetto and chrome://tracing): one
 * process per core, one track per queue (the load unit's overlapping loads spread over as many tracks as it has in
 * flight), one complete event ("ph": "X") per instruction from its start to its completion, timestamps in
 * microseconds. At most {@code maxEvents} instructions are kept (the earliest ones); the file says how many were left
 * out.
 */
public final class ChromeTrace implements TraceSink {
    private final Launch launch;
    private final double clockHz;
    private final int maxEvents;
    private final List<double[]> events = new ArrayList<>();
    private long dropped;
    private int[][] instructionStart;

    public ChromeTrace(Launch launch, double clockHz, int maxEvents) {
        this.launch = launch;
        this.clockHz = clockHz;
        this.maxEvents = maxEvents;
    }

    @Override
    public void instruction(int core, int queue, int index, double start, double end, double complete) {
        if (events.size() >= maxEvents) {
            dropped++;
            return;
        }
        events.add(new double[]{core, queue, index, start, complete});
    }

    public int events() {
        return events.size();
    }

    public long dropped() {
        return dropped;
    }

    /** Writes the trace (to a temporary file, then renamed over {@code file}). */
    public void write(Path file) throws IOException {
        events.sort((a, b) -> Double.compare(a[3], b[3]));
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp);
                 JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
                g.writeStartObject();
                g.writeStringField("displayTimeUnit", "ns");
                g.writeObjectFieldStart("otherData");
                g.writeNumberField("clock_hz", clockHz);
                g.writeNumberField("instructions_left_out", dropped);
                g.writeEndObject();
                g.writeArrayFieldStart("traceEvents");
                writeEvents(g);
                g.writeEndArray();
                g.writeEndObject();
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeEvents(JsonGenerator g) throws IOException {
        int cores = launch.cores();
        int q = Queue.values().length;
        // per (core, queue) the end time of each track, to spread overlapping loads over tracks
        List<List<Double>> tracks = new ArrayList<>();
        for (int i = 0; i < cores * q; i++) {
            tracks.add(new ArrayList<>());
        }
        double us = 1e6 / clockHz;
        List<int[]> named = new ArrayList<>();
        for (double[] e : events) {
            int core = (int) e[0];
            int queue = (int) e[1];
            List<Double> t = tracks.get(core * q + queue);
            int track = 0;
            while (track < t.size() && t.get(track) > e[3]) {
                track++;
            }
            if (track == t.size()) {
                t.add(e[4]);
                named.add(new int[]{core, queue, track});
            } else {
                t.set(track, e[4]);
            }
            g.writeStartObject();
            g.writeStringField("name", name(core, (int) e[2], Queue.values()[queue]));
            g.writeStringField("cat", Queue.values()[queue].name());
            g.writeStringField("ph", "X");
            g.writeNumberField("pid", core);
            g.writeNumberField("tid", queue * 64 + track);
            g.writeNumberField("ts", e[3] * us);
            g.writeNumberField("dur", (e[4] - e[3]) * us);
            g.writeObjectFieldStart("args");
            g.writeNumberField("index", (int) e[2]);
            g.writeNumberField("start_cycle", e[3]);
            g.writeNumberField("end_cycle", e[4]);
            g.writeEndObject();
            g.writeEndObject();
        }
        for (int c = 0; c < cores; c++) {
            meta(g, "process_name", c, -1, "core " + c);
        }
        for (int[] n : named) {
            String queue = Queue.values()[n[1]].name();
            meta(g, "thread_name", n[0], n[1] * 64 + n[2], n[2] == 0 ? queue : queue + " #" + n[2]);
        }
    }

    private static void meta(JsonGenerator g, String what, int pid, int tid, String name) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", what);
        g.writeStringField("ph", "M");
        g.writeNumberField("pid", pid);
        if (tid >= 0) {
            g.writeNumberField("tid", tid);
        }
        g.writeObjectFieldStart("args");
        g.writeStringField("name", name);
        g.writeEndObject();
        g.writeEndObject();
    }

    /** The queue's mnemonic, and the operation for MISC. */
    private String name(int core, int index, Queue queue) {
        if (queue != Queue.MISC) {
            return queue.name();
        }
        if (instructionStart == null) {
            instructionStart = new int[launch.cores()][];
        }
        int[] words = launch.words().get(core);
        if (instructionStart[core] == null) {
            List<Integer> starts = new ArrayList<>();
            for (int at = 0; at < words.length; at += Isa.formatOfOpcode(words[at] >>> 28).words()) {
                starts.add(at);
            }
            instructionStart[core] = starts.stream().mapToInt(Integer::intValue).toArray();
        }
        Instruction i = Isa.decodeOne(words, instructionStart[core][index], index);
        return i instanceof Misc m ? "MISC " + m.op().name().toLowerCase(java.util.Locale.ROOT) : queue.name();
    }
}
