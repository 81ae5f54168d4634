// What is known about one language-model token for text concepts of linear explanations (our extension of Oikarinen &
// Weng 2024 to language models: the unit is a token position, and concepts are token-level indicators).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>The corpus word a token belongs to, with its gold tag and its document's genre.</summary>
/// <param name="TokenId">Vocabulary id.</param>
/// <param name="Word">The corpus word whose text the token starts in (null for BOS or a token between words).</param>
/// <param name="Tag">The word's gold POS tag (Brown tag set), or null.</param>
/// <param name="Genre">The document's genre (Brown category), or null.</param>
public sealed record TokenAnnotation(int TokenId, string? Word, string? Tag, string? Genre);
