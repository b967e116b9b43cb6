namespace Distil;

/// <summary>
/// Keys of <see cref="Microsoft.Extensions.AI.ChatOptions.AdditionalProperties"/> through which a
/// task tells Distil's middleware and providers what the standard options cannot say. Providers
/// that do not know a key ignore it. Only <see cref="StrictJsonSchema"/> has an effect on a remote
/// service: the OpenAI provider turns it into <c>strict: true</c>.
/// </summary>
public static class ChatOptionsKeys
{
    /// <summary>
    /// The 0-based generation of a prompt (an <see cref="int"/>), set from the second generation
    /// on: it makes the requests of one prompt distinct, so a response cache keeps each answer.
    /// </summary>
    public const string Generation = "distil.generation";

    /// <summary>
    /// A GBNF grammar (a <see cref="string"/>) that a local model decodes under, set with
    /// structured output. Remote providers get the JSON schema instead.
    /// </summary>
    public const string Grammar = "distil.grammar";

    /// <summary>
    /// Whether a JSON-schema response format is strict (a <see cref="bool"/>); the OpenAI
    /// provider of Microsoft.Extensions.AI reads this key.
    /// </summary>
    public const string StrictJsonSchema = "strict";

    /// <summary>
    /// Text (a <see cref="string"/>) to continue instead of answering: the client renders the
    /// conversation with the model's chat template, without opening an assistant turn, appends
    /// this text (the header of a user turn, e.g. <c>&lt;|im_start|&gt;user\n</c>) and lets the
    /// model write on. The answer is then a user message the model made up, as the Magpie
    /// method needs. Only clients that implement <see cref="ISupportsPreQueryTemplate"/> honour it.
    /// </summary>
    public const string PreQueryTemplate = "distil.pre_query_template";

    /// <summary>
    /// The row a request belongs to (a <see cref="long"/>), set by tasks whose requests would
    /// otherwise be identical across rows (Magpie), so that a response cache keeps each row's answer.
    /// </summary>
    public const string Row = "distil.row";
}
