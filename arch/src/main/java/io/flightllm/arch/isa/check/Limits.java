package io.flightllm.arch.isa.check;

import io.flightllm.arch.hw.Buffers;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Param;
import java.util.EnumMap;
import java.util.Map;

/**
 * What the static checker needs to know about the hardware and the launch: buffer sizes, HBM channels and their
 * size, DDR size, the range of each parameter, the core count, the token counter depth and the dispatch depth. The
 * hardware configuration builds it; nothing here has a default.
 *
 * @param bufferBytes   bytes of each on-chip buffer of a core (every {@link Buffer} must be present)
 * @param hbmChannels   HBM channels an instruction may address
 * @param hbmChannelBytes bytes of one HBM channel
 * @param ddrBytes      bytes of DDR (one channel, number 0)
 * @param params        inclusive range of each parameter over all launches of the program
 * @param cores         cores of the device (a program has at most this many streams)
 * @param tokenDepth    capacity of each token counter ({@link Isa#TOKEN_DEPTH}; tests vary it)
 * @param dispatchDepth instructions a queue can hold before the core's dispatcher stalls; 0 = unbounded
 */
public record Limits(Map<Buffer, Long> bufferBytes, int hbmChannels, long hbmChannelBytes, long ddrBytes,
                     Map<Param, Range> params, int cores, int tokenDepth, int dispatchDepth) {

    /** An inclusive range of parameter values. */
    public record Range(long min, long max) {
        public Range {
            if (min < 0 || max < min) {
                throw new IllegalArgumentException("parameter range [" + min + ", " + max + "]");
            }
        }
    }

    public Limits {
        bufferBytes = Map.copyOf(bufferBytes);
        for (Buffer b : Buffer.values()) {
            if (bufferBytes.getOrDefault(b, -1L) < 0) {
                throw new IllegalArgumentException("limits: no size for buffer " + b);
            }
        }
        EnumMap<Param, Range> p = new EnumMap<>(Param.class);
        p.putAll(params);
        p.put(Param.NONE, new Range(0, 0));
        for (Param q : Param.values()) {
            if (!p.containsKey(q)) {
                throw new IllegalArgumentException("limits: no range for parameter " + q);
            }
        }
        params = Map.copyOf(p);
        if (hbmChannels < 1 || hbmChannelBytes < 1 || ddrBytes < 0 || cores < 1 || tokenDepth < 1
                || dispatchDepth < 0) {
            throw new IllegalArgumentException("limits: channels " + hbmChannels + ", channel bytes "
                    + hbmChannelBytes + ", DDR bytes " + ddrBytes + ", cores " + cores + ", token depth "
                    + tokenDepth + ", dispatch depth " + dispatchDepth + ": expected positive values");
        }
    }

    public long bytes(Buffer b) {
        return bufferBytes.get(b);
    }

    public Range range(Param p) {
        return params.get(p);
    }

    /**
     * The limits of a hardware configuration: its buffers, HBM channels, cores and {@link Isa#TOKEN_DEPTH}, with
     * unbounded dispatch queues.
     */
    public static Limits of(HardwareConfig hw, long ddrBytes, Map<Param, Range> params) {
        Buffers b = hw.buffers();
        Map<Buffer, Long> bytes = new EnumMap<>(Buffer.class);
        bytes.put(Buffer.A, b.aBytes());
        bytes.put(Buffer.B, b.bBytes());
        bytes.put(Buffer.GLOBAL, b.globalBytes());
        bytes.put(Buffer.META, b.metaBytes());
        bytes.put(Buffer.FSB, b.fsbBytes());
        bytes.put(Buffer.BIAS, b.biasBytes());
        bytes.put(Buffer.SCALE, b.scaleBytes());
        return new Limits(bytes, hw.hbm().channels(), hw.hbm().channelBytes(), ddrBytes, params, hw.cores(),
                Isa.TOKEN_DEPTH, 0);
    }

    /** The parameter ranges of programs serving contexts up to {@code maxCtx} with up to {@code bucketRows} rows. */
    public static Map<Param, Range> ranges(long maxCtx, long bucketRows) {
        return Map.of(Param.POS, new Range(0, maxCtx - 1), Param.CTX_LEN, new Range(1, maxCtx),
                Param.N_VALID_ROWS, new Range(1, bucketRows));
    }
}
