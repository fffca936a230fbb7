package io.flightllm.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Queue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the simulated device did, per core and unit, summed over launches until {@link #reset()}: instructions per
 * queue, MACs per MPE mode (the products of kept weights, and the dense-equivalent count), SFU elements per
 * operation, bytes read and written per HBM channel, DDR and on-chip buffer, and barriers. {@link #toJson()} is the
 * export docs/sim.md describes.
 */
public final class Counters {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    final int channels;
    final Core[] cores;
    long launches;

    Counters(int cores, int channels) {
        this.channels = channels;
        this.cores = new Core[cores];
        for (int c = 0; c < cores; c++) {
            this.cores[c] = new Core(channels);
        }
    }

    /** One core's accumulators. */
    static final class Core {
        final long[] instructions = new long[Queue.values().length];
        long mvMacs;
        long mvDenseMacs;
        long mmMacs;
        long mmDenseMacs;
        final long[] sfuElements = new long[MiscOp.values().length];
        final long[] hbmRead;
        final long[] hbmWritten;
        long ddrRead;
        long ddrWritten;
        final long[] bufferRead = new long[Buffer.values().length];
        final long[] bufferWritten = new long[Buffer.values().length];
        long barriers;

        Core(int channels) {
            hbmRead = new long[channels];
            hbmWritten = new long[channels];
        }

        void clear() {
            java.util.Arrays.fill(instructions, 0);
            mvMacs = mvDenseMacs = mmMacs = mmDenseMacs = ddrRead = ddrWritten = barriers = 0;
            java.util.Arrays.fill(sfuElements, 0);
            java.util.Arrays.fill(hbmRead, 0);
            java.util.Arrays.fill(hbmWritten, 0);
            java.util.Arrays.fill(bufferRead, 0);
            java.util.Arrays.fill(bufferWritten, 0);
        }
    }

    public void reset() {
        launches = 0;
        for (Core c : cores) {
            c.clear();
        }
    }

    public long launches() {
        return launches;
    }

    /** Instructions of {@code q} executed by {@code core}. */
    public long instructions(int core, Queue q) {
        return cores[core].instructions[q.ordinal()];
    }

    /** MACs of kept weights in MV (decode) mode over all cores. */
    public long mvMacs() {
        long n = 0;
        for (Core c : cores) {
            n += c.mvMacs;
        }
        return n;
    }

    /** MACs of kept weights in MM (prefill) mode over all cores. */
    public long mmMacs() {
        long n = 0;
        for (Core c : cores) {
            n += c.mmMacs;
        }
        return n;
    }

    /** Bytes read from HBM channel {@code channel} by every core. */
    public long hbmRead(int channel) {
        long n = 0;
        for (Core c : cores) {
            n += c.hbmRead[channel];
        }
        return n;
    }

    /** Bytes written to HBM channel {@code channel} by every core. */
    public long hbmWritten(int channel) {
        long n = 0;
        for (Core c : cores) {
            n += c.hbmWritten[channel];
        }
        return n;
    }

    /** The JSON export: one object per core, then the HBM channels' totals (channels nobody touched are left out). */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("launches", launches);
        List<Object> cs = new ArrayList<>();
        for (int i = 0; i < cores.length; i++) {
            Core c = cores[i];
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("core", i);
            m.put("instructions", byName(Queue.values(), c.instructions));
            m.put("mpe", Map.of("mv_macs", c.mvMacs, "mv_dense_macs", c.mvDenseMacs, "mm_macs", c.mmMacs,
                    "mm_dense_macs", c.mmDenseMacs));
            m.put("sfu_elements", byName(MiscOp.values(), c.sfuElements));
            m.put("hbm_read_bytes", channels(c.hbmRead));
            m.put("hbm_written_bytes", channels(c.hbmWritten));
            m.put("ddr", Map.of("read_bytes", c.ddrRead, "written_bytes", c.ddrWritten));
            Map<String, Object> bufs = new LinkedHashMap<>();
            for (Buffer b : Buffer.values()) {
                bufs.put(b.name(), Map.of("read_bytes", c.bufferRead[b.ordinal()], "written_bytes",
                        c.bufferWritten[b.ordinal()]));
            }
            m.put("buffers", bufs);
            m.put("barriers", c.barriers);
            cs.add(m);
        }
        out.put("cores", cs);
        List<Object> hbm = new ArrayList<>();
        for (int ch = 0; ch < channels; ch++) {
            long r = hbmRead(ch);
            long w = hbmWritten(ch);
            if (r != 0 || w != 0) {
                hbm.add(Map.of("channel", ch, "read_bytes", r, "written_bytes", w));
            }
        }
        out.put("hbm", hbm);
        return out;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(toMap());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Long> byName(Enum<?>[] names, long[] v) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Enum<?> e : names) {
            m.put(e.name().toLowerCase(Locale.ROOT), v[e.ordinal()]);
        }
        return m;
    }

    private static Map<String, Long> channels(long[] v) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            if (v[i] != 0) {
                m.put(Integer.toString(i), v[i]);
            }
        }
        return m;
    }
}
