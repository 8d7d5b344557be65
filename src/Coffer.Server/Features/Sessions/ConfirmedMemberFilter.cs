using Coffer.Server.Common.Errors;

namespace Coffer.Server.Features.Sessions;

/// <summary>
/// Keeps members who are not confirmed yet (state <c>pending_confirmation</c>) out of everything but
/// their own sessions: until an administrator has certified their keys they hold no group key, and the
/// organisation has not vouched for them (PROTOCOL.md §8).
/// </summary>
internal sealed class ConfirmedMemberFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.HttpContext.Features.Get<CofferCaller>() is { Confirmed: false })
        {
            return Problems.Of(CofferErrors.Forbidden, "Your membership is waiting for an administrator's confirmation.");
        }
        return await next(context);
    }
}
