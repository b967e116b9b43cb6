using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Distil.Tests.Support;

/// <summary>
/// Asks llama.cpp itself whether a GBNF grammar accepts a text: the text is fed byte by byte (each
/// UTF-8 byte as the tiny model's one-byte token, as a model writes a character its vocabulary has
/// no token for), and each token must survive the grammar sampler; at the end, the end-of-text
/// token must be allowed, which llama.cpp allows only where the grammar is complete. This is the
/// grammar decoding runs under, not a second implementation of GBNF.
/// </summary>
public sealed class LlamaGrammar : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaToken[] _byteTokens = new LLamaToken[256];

    private LlamaGrammar(LLamaWeights weights)
    {
        _weights = weights;
        var found = new bool[256];
        var piece = new byte[64];
        var vocabulary = weights.NativeHandle.Vocab;
        for (var id = 0; id < vocabulary.Count; id++)
        {
            var token = (LLamaToken)id;
            var length = (int)weights.NativeHandle.TokenToSpan(token, piece, 0, false);
            if (length == 1 && !found[piece[0]])
            {
                _byteTokens[piece[0]] = token;
                found[piece[0]] = true;
            }
        }
        var missing = Enumerable.Range(0, 256).Where(b => !found[b] && b != 0).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"The test model has no one-byte token for bytes {string.Join(", ", missing)}.");
    }

    /// <summary>Loads the tiny test model's vocabulary.</summary>
    public static LlamaGrammar Load() => new(LLamaWeights.LoadFromFile(new ModelParams(TestModel.Path) { ContextSize = 64 }));

    /// <summary>Whether <paramref name="grammar"/> (from rule <c>root</c>) accepts exactly <paramref name="text"/>.</summary>
    public bool Accepts(string grammar, string text)
    {
        using var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        chain.AddGrammar(_weights.NativeHandle, grammar, "root");
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var token = _byteTokens[b];
            if (!Allowed(chain, token)) return false;
            chain.Accept(token);
        }
        return Allowed(chain, _weights.NativeHandle.Vocab.EOS!.Value);
    }

    private static bool Allowed(SafeLLamaSamplerChainHandle chain, LLamaToken token)
    {
        var data = new[] { new LLamaTokenData(token, 1f, 0f) };
        var array = new LLamaTokenDataArray(data, false);
        using (LLamaTokenDataArrayNative.Create(array, out var native)) chain.Apply(ref native);
        return !float.IsNegativeInfinity(data[0].Logit);
    }

    public void Dispose() => _weights.Dispose();
}
