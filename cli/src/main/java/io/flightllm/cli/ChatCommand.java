package io.flightllm.cli;

import io.flightllm.model.Generator;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Sampler;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.runtime.Backend;
import io.flightllm.runtime.ChatTemplate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code flightllm chat}: run.c's chat mode over any backend. Reads user turns from stdin ("User: "), answers with
 * "Assistant: " and the generated text, until end of input. The dialogue is rendered with the chat template (LLaMA-2
 * when the model has one) and run from position 0 each turn, within {@code --steps} positions.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with a model (run.c's chat mode): user turns from stdin, answers on stdout. LLaMA-2 chat",
                "format when the model has one, plain text otherwise."})
final class ChatCommand implements Callable<Integer> {
    private final Console console;

    ChatCommand(Console console) {
        this.console = console;
    }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "checkpoint (ref) or .flm (twin, sim)")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, paramLabel = "T", description = "tokenizer file (default: found beside "
            + "the model)")
    Path tokenizer;

    @Option(names = {"-y", "--system"}, paramLabel = "S", description = "system prompt (default: none)")
    String system;

    @Option(names = {"-i", "--prompt"}, paramLabel = "P", description = "the first user turn (default: read stdin)")
    String prompt;

    @Option(names = {"-n", "--steps"}, paramLabel = "N", defaultValue = "256",
            description = "positions per turn, history included (default 256; 0 = the model's context)")
    int steps;

    @Option(names = {"-t", "--temperature"}, paramLabel = "X", defaultValue = "1.0")
    float temperature;

    @Option(names = {"-p", "--top-p"}, paramLabel = "X", defaultValue = "0.9")
    float topP;

    @Option(names = {"-s", "--seed"}, paramLabel = "S", defaultValue = "0")
    String seed;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "ref", description = "ref, twin or sim")
    String backend;

    @Option(names = "--program", paramLabel = "P", description = "a compiled .flp for --backend sim")
    Path program;

    @Option(names = "--chat-template", paramLabel = "C", defaultValue = "auto",
            description = "auto (llama2 when the model has a chat template), llama2 or plain")
    String template;

    @Option(names = "--kernels", paramLabel = "K", defaultValue = "exact", description = Options.KERNELS_HELP)
    String kernels;

    @Option(names = "--threads", paramLabel = "T", description = "threads per executor (default: all cores)")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        if (temperature < 0 || !Float.isFinite(temperature)) {
            throw new Main.UserInputException("--temperature is " + temperature + "; expected a finite value >= 0");
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new Main.UserInputException("--top-p is " + topP + "; expected a value in [0, 1]");
        }
        if (!ChatTemplate.NAMES.contains(template)) {
            throw new Main.UserInputException("--chat-template is '" + template + "'; expected one of "
                    + ChatTemplate.NAMES);
        }
        long seedValue = Options.parseSeed(seed);
        OutputStream out = console.out();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Backend be = Backend.open(backend, model, kernels, threads, program)) {
            ModelConfig c = be.config();
            Tokenizer tok = be.tokenizer(tokenizer);
            ChatTemplate tpl = ChatTemplate.named(template, model);
            int n = Generator.effectiveSteps(steps, c.seqLen());
            Sampler sampler = new Sampler(c.vocabSize(), temperature, topP, seedValue);
            List<ChatTemplate.Message> dialogue = new ArrayList<>();
            if (system != null && !system.isBlank()) {
                dialogue.add(new ChatTemplate.Message("system", system));
            }
            String user = prompt;
            try (Forward fwd = be.forward(n)) {
                n = Options.capToExecutor(console, "flightllm chat", n, fwd, program != null ? program : fwd.name());
                while (true) {
                    if (user == null) {
                        out.write("User: ".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        user = in.readLine();
                        if (user == null) {
                            break;
                        }
                    }
                    dialogue.add(new ChatTemplate.Message("user", user));
                    int[] tokens = tpl.encode(dialogue, tok);
                    if (tokens.length >= n) {
                        console.err().println("flightllm chat: the dialogue is " + tokens.length + " tokens and only "
                                + n + " positions run (--steps or the program's context); ending the chat");
                        break;
                    }
                    out.write("Assistant: ".getBytes(StandardCharsets.UTF_8));
                    StringBuilder answer = new StringBuilder();
                    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                    Generator.run(fwd, sampler, tokens, n, false, (prev, token) -> {
                        byte[] piece = tok.decode(prev, token);
                        try {
                            Generator.writePiece(out, tok, piece);
                            out.flush();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        bytes.writeBytes(piece);
                        return true;
                    });
                    answer.append(bytes.toString(StandardCharsets.UTF_8));
                    out.write('\n');
                    out.flush();
                    dialogue.add(new ChatTemplate.Message("assistant", answer.toString()));
                    user = null;
                }
            }
        }
        return 0;
    }
}
