package io.flightllm.server;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Notices an HTTP/1.1 client that closes its connection while it waits for a non-streaming answer. Jetty does not read
 * from a connection while its request is being handled, so the probe asks the connection's end point to report when it
 * becomes readable: end of stream means the client is gone (cancel the generation); bytes mean a pipelined request,
 * which this server does not keep (the probe stops and the answer closes the connection, so the client sends it
 * again). {@link #disarm} withdraws the interest before the answer is written, so Jetty reads the next request as
 * usual.
 */
final class DisconnectProbe implements Callback {
    private static final int IDLE = 0;
    private static final int ARMED = 1;
    private static final int DONE = 2;

    private final EndPoint endPoint;
    private final Runnable onGone;
    private final AtomicInteger state = new AtomicInteger(IDLE);
    private volatile boolean pipelined;

    private DisconnectProbe(EndPoint endPoint, Runnable onGone) {
        this.endPoint = endPoint;
        this.onGone = onGone;
    }

    /** Starts watching {@code request}'s connection (after its body has been read); {@code onGone} runs at most once. */
    static DisconnectProbe watch(Request request, Runnable onGone) {
        DisconnectProbe p = new DisconnectProbe(request.getConnectionMetaData().getConnection().getEndPoint(), onGone);
        p.arm();
        return p;
    }

    private void arm() {
        if (state.compareAndSet(IDLE, ARMED) && !endPoint.tryFillInterested(this)) {
            state.set(DONE); // someone else reads this connection: nothing to watch
        }
    }

    /** The connection is readable. */
    @Override
    public void succeeded() {
        if (!state.compareAndSet(ARMED, IDLE)) {
            return;
        }
        try {
            // Jetty's fill appends after the limit of a buffer in flush mode: BufferUtil makes an empty one
            int n = endPoint.fill(BufferUtil.allocate(256));
            if (n < 0) {
                state.set(DONE);
                onGone.run();
            } else if (n > 0) {
                state.set(DONE);
                pipelined = true;
            } else {
                arm();
            }
        } catch (IOException e) {
            state.set(DONE);
            onGone.run();
        }
    }

    /** The connection failed or closed while armed. */
    @Override
    public void failed(Throwable x) {
        if (state.compareAndSet(ARMED, DONE)) {
            onGone.run();
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING; // a non-blocking read and a flag: fine on the selector thread
    }

    /** Stops watching; returns true when the connection must close after the answer (pipelined bytes were read). */
    boolean disarm() {
        if (state.compareAndSet(ARMED, DONE) && endPoint instanceof AbstractEndPoint a) {
            a.getFillInterest().onFail(new CancellationException("the answer is ready"));
        }
        state.set(DONE);
        return pipelined;
    }
}
