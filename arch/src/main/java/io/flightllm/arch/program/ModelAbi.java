package io.flightllm.arch.program;

/**
 * The model facts a program's host and device agree on (the runtime checks them against the model it loads).
 *
 * @param family         "LLAMA" or "OPT"
 * @param headSize       real head size; {@code paddedHeadSize} is the ABI's head_dim
 * @param normEpsBits    FP32 bit pattern of the norm epsilon
 * @param ropeThetaBits  FP32 bit pattern of the RoPE theta
 * @param maxContext     positions the KV cache and the tables hold
 * @param recipe         the compression recipe of the .flm (or the profile for shapes-only programs)
 * @param weightsSha     content digest of the .flm's weights ("" for shapes-only), so a program refuses another model
 */
public record ModelAbi(String family, int dim, int hiddenDim, int layers, int heads, int kvHeads, int headSize,
                       int paddedHeadSize, int vocab, int maxContext, int normEpsBits, int ropeThetaBits, String recipe,
                       String weightsSha) {
}
