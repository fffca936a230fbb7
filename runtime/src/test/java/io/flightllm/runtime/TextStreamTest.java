package io.flightllm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextStreamTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Feeds the pieces, returns every delta (finish's last) so tests see both what and when. */
    private static List<String> feed(TextStream ts, byte[]... pieces) {
        List<String> out = new ArrayList<>();
        for (byte[] p : pieces) {
            out.add(ts.append(p));
        }
        out.add(ts.finish());
        return out;
    }

    @Test
    void plainTextPassesThroughPieceByPiece() {
        TextStream ts = new TextStream(List.of());
        assertThat(feed(ts, b(" Once"), b(" upon"), b(" a"))).containsExactly(" Once", " upon", " a", "");
        assertThat(ts.text()).isEqualTo(" Once upon a");
        assertThat(ts.stopped()).isFalse();
    }

    @Test
    void aCharacterSplitOverByteTokensIsEmittedWhenComplete() {
        byte[] euro = b("€"); // E2 82 AC
        TextStream ts = new TextStream(List.of());
        assertThat(feed(ts, b("x"), new byte[] {euro[0]}, new byte[] {euro[1]}, new byte[] {euro[2]}, b("y")))
                .containsExactly("x", "", "", "€", "y", "");
    }

    @Test
    void invalidAndTruncatedBytesBecomeReplacementCharacters() {
        TextStream ts = new TextStream(List.of());
        // a lone continuation byte is invalid at once; a lead byte cut off by the end of the stream at finish
        assertThat(feed(ts, new byte[] {(byte) 0x80}, b("a"), new byte[] {(byte) 0xE2})).containsExactly("\uFFFD", "a",
                "", "\uFFFD");
    }

    @Test
    void controlBytesAreDroppedAndNulCutsAPieceAsRunDoes() {
        TextStream ts = new TextStream(List.of());
        assertThat(feed(ts, new byte[] {0x07}, new byte[] {'\n'}, new byte[] {'a', 0, 'b'})).containsExactly("", "\n",
                "a", "");
        assertThat(TextStream.visibleLength(new byte[] {(byte) 0xC3})).isEqualTo(1); // kept, unlike run.c
    }

    @Test
    void aStopStringSpanningPiecesIsHeldBackAndCut() {
        TextStream ts = new TextStream(List.of("END"));
        assertThat(feed(ts, b("ab E"), b("N"), b("D more"))).containsExactly("ab ", "", "", "");
        assertThat(ts.stopped()).isTrue();
        assertThat(ts.text()).isEqualTo("ab ");
        assertThat(ts.append(b("later"))).isEmpty();
    }

    @Test
    void aFalseStartOfAStopStringIsReleased() {
        TextStream ts = new TextStream(List.of("END"));
        assertThat(feed(ts, b("E"), b("N"), b("X"), b("EN"))).containsExactly("", "", "ENX", "", "EN");
        assertThat(ts.stopped()).isFalse();
        assertThat(ts.text()).isEqualTo("ENXEN");
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        TextStream ts = new TextStream(List.of("cat", "a c"));
        assertThat(feed(ts, b("I saw a cat"))).containsExactly("I saw ", "");
    }

    @Test
    void emptyStopStringsAreRefused() {
        assertThatThrownBy(() -> new TextStream(List.of(""))).isInstanceOf(IllegalArgumentException.class);
    }
}
