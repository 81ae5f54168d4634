// The checks every request passes before the explorer's routes see it, cheapest first:
// - Host: a name other than the bound address's (HostAllowList) gets 421 Misdirected Request, none at all 400
//   (DNS rebinding: a foreign page that re-points its name at 127.0.0.1 sends its own name);
// - state-changing methods (anything but GET and HEAD, i.e. the on-demand analyses) need the per-process token that
//   every served page carries, in the X-Unravel-Token header, and no cross-origin Origin or Sec-Fetch-Site: else 403
//   (a cross-site form cannot set the header, and a page that is not ours cannot read the token);
// - a declared body over the limit gets 413 at once, an undeclared (chunked) one when reading passes the limit;
// - then at most MaxConcurrentRequests run at once, MaxQueuedRequests wait, and the rest get 429.
// Every answer carries nosniff / no-framing / no-referrer headers and, for pages, a content security policy that allows
// only the page's own inline code, data: images and requests to this server.

using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Unravel.Web;

/// <summary>Host, token, size and concurrency checks in front of the explorer's routes.</summary>
internal sealed class RequestGuard : IDisposable
{
    /// <summary>The request header that carries the page token.</summary>
    public const string TokenHeader = "X-Unravel-Token";

    /// <summary>The content security policy of served pages.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private readonly HostAllowList _hosts;
    private readonly byte[] _token;
    private readonly long _maxBody;
    private readonly ConcurrencyLimiter _limiter;

    public RequestGuard(HostAllowList hosts, string token, ExplorerOptions options)
    {
        _hosts = hosts;
        _token = Encoding.ASCII.GetBytes(token);
        _maxBody = options.MaxRequestBodyBytes;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrentRequests, QueueLimit = options.MaxQueuedRequests, QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>A fresh random token (256 bits, URL-safe base64).</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        IHeaderDictionary headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;

        if (Refusal(context.Request) is { } refusal)
        {
            await Refuse(context, refusal.Status, refusal.Message);
            return;
        }
        if (context.Request.ContentLength > _maxBody)
        {
            await Refuse(context, StatusCodes.Status413PayloadTooLarge, $"request body of {context.Request.ContentLength} bytes is over this explorer's limit of {_maxBody} (serve --max-body-bytes)");
            return;
        }
        if (context.Request.ContentLength is null && context.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                // The body is never used; reading it here applies Kestrel's MaxRequestBodySize to a chunked one.
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }
            catch (BadHttpRequestException e)
            {
                await Refuse(context, e.StatusCode, $"request body is over this explorer's limit of {_maxBody} bytes (serve --max-body-bytes)");
                return;
            }
        }

        using RateLimitLease lease = await _limiter.AcquireAsync(1, context.RequestAborted);
        if (!lease.IsAcquired)
        {
            headers.RetryAfter = "1";
            await Refuse(context, StatusCodes.Status429TooManyRequests, "too many requests at once; try again in a moment (serve --max-concurrent, --max-queue)");
            return;
        }
        await next(context);
    }

    public void Dispose() => _limiter.Dispose();

    /// <summary>The status and message for a request with a foreign Host or an unauthorised state change, else null.</summary>
    internal (int Status, string Message)? Refusal(HttpRequest request)
    {
        if (!request.Host.HasValue)
            return (StatusCodes.Status400BadRequest, "a Host header is required");
        if (!_hosts.Allows(request.Host.Host))
            return (StatusCodes.Status421MisdirectedRequest,
                $"this explorer answers requests for {string.Join(", ", _hosts.Names)}, not '{Short(request.Host.Host)}' (serve --host)");
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) return null;

        StringValues origin = request.Headers.Origin;
        if (origin.Count > 0 && !string.Equals(origin.ToString(), $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
            return (StatusCodes.Status403Forbidden, $"cross-origin request from '{Short(origin.ToString())}' refused");
        StringValues site = request.Headers["Sec-Fetch-Site"];
        if (site.Count > 0 && !string.Equals(site.ToString(), "same-origin", StringComparison.OrdinalIgnoreCase))
            return (StatusCodes.Status403Forbidden, $"{Short(site.ToString())} request refused (Sec-Fetch-Site); use the button on the explorer's own page");
        StringValues token = request.Headers[TokenHeader];
        if (token.Count != 1 || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token.ToString()), _token))
            return (StatusCodes.Status403Forbidden, $"a {request.Method} needs the explorer page's token in the {TokenHeader} header (the page's button sends it; JavaScript must be on)");
        return null;
    }

    private static async Task Refuse(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (status is StatusCodes.Status413PayloadTooLarge or StatusCodes.Status400BadRequest) context.Response.Headers.Connection = "close";
        await context.Response.WriteAsync(message + "\n");
    }

    private static string Short(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
