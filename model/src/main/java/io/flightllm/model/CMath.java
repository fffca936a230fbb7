package io.flightllm.model;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The C library's single-precision math functions, for the reference path that must print what llama2.c run.c prints.
 *
 * <p>Why not {@code (float) Math.exp(x)}: glibc's {@code expf}, {@code sinf}, {@code cosf} and {@code powf} are not
 * correctly rounded (measured on this machine: cosf/sinf differ from the correctly rounded value for about 2.6% of
 * the RoPE arguments of a 256-position model, expf for about 0.02% of floats in [-104, 89]). Those one-ulp differences
 * can flip a sampled token. So on Linux we call the platform libm through the FFM API, exactly the functions run.c
 * links against; elsewhere (or with {@code -Dflightllm.cmath=java}) we fall back to correctly rounded Java versions.
 * {@code sqrtf} needs no libm: IEEE sqrt of a float computed in double and rounded is exactly sqrtf.
 */
public final class CMath {
    private static final MethodHandle EXPF;
    private static final MethodHandle SINF;
    private static final MethodHandle COSF;
    private static final MethodHandle POWF;
    private static final String SOURCE;

    static {
        MethodHandle exp = null;
        MethodHandle sin = null;
        MethodHandle cos = null;
        MethodHandle pow = null;
        String source = "java.lang.StrictMath (correctly rounded)";
        if (!"java".equals(System.getProperty("flightllm.cmath"))) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libm = SymbolLookup.libraryLookup("libm.so.6", Arena.global());
                FunctionDescriptor f1 = FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT);
                FunctionDescriptor f2 = FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT,
                        ValueLayout.JAVA_FLOAT);
                exp = bind(linker, libm, "expf", f1);
                sin = bind(linker, libm, "sinf", f1);
                cos = bind(linker, libm, "cosf", f1);
                pow = bind(linker, libm, "powf", f2);
                source = "libm.so.6 (as llama2.c run.c)";
            } catch (RuntimeException | LinkageError e) {
                exp = sin = cos = pow = null;
            }
        }
        EXPF = exp;
        SINF = sin;
        COSF = cos;
        POWF = pow;
        SOURCE = source;
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lib, String name, FunctionDescriptor fd) {
        Optional<java.lang.foreign.MemorySegment> sym = lib.find(name);
        return linker.downcallHandle(sym.orElseThrow(() -> new IllegalStateException("no " + name)), fd,
                Linker.Option.critical(false));
    }

    private CMath() {
    }

    /** Where the functions come from, for diagnostics. */
    public static String source() {
        return SOURCE;
    }

    public static float expf(float x) {
        if (EXPF == null) {
            return (float) StrictMath.exp(x);
        }
        try {
            return (float) EXPF.invokeExact(x);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static float sinf(float x) {
        if (SINF == null) {
            return (float) StrictMath.sin(x);
        }
        try {
            return (float) SINF.invokeExact(x);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static float cosf(float x) {
        if (COSF == null) {
            return (float) StrictMath.cos(x);
        }
        try {
            return (float) COSF.invokeExact(x);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static float powf(float x, float y) {
        if (POWF == null) {
            return (float) StrictMath.pow(x, y);
        }
        try {
            return (float) POWF.invokeExact(x, y);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static float sqrtf(float x) {
        return (float) Math.sqrt(x);
    }
}
