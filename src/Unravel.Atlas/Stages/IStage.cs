// A stage is one step of the pipeline (collect, concepts, PURE, report, and each coming method): a request record in,
// a result record out, progress through IProgress<StageProgress>, cancellation through a CancellationToken. The CLI
// command, the explorer's on-demand analysis and `unravel demo` all call the same stage; a command only parses its
// options into the request and renders the result.

namespace Unravel.Atlas.Stages;

/// <summary>One pipeline step.</summary>
/// <typeparam name="TRequest">What to do (an immutable record; an open <see cref="AtlasSession"/> where it reads an atlas).</typeparam>
/// <typeparam name="TResult">What was done (an immutable record the caller renders).</typeparam>
public interface IStage<in TRequest, out TResult>
{
    /// <summary>Runs the stage.</summary>
    /// <param name="request">The request.</param>
    /// <param name="progress">Receives progress, or null.</param>
    /// <param name="cancellationToken">Stops long loops.</param>
    /// <exception cref="UnravelException">The request does not fit the atlas, model or data.</exception>
    TResult Run(TRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default);
}
