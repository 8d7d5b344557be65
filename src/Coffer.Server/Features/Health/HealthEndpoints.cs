using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Coffer.Server.Features.Health;

/// <remarks>Anyone may call: load balancers and orchestrators probe these. They reveal nothing but up or down.</remarks>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        // Live: the process answers. Ready: it can also reach its database (checks tagged "ready").
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).WithName("Health_Live");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).WithName("Health_Ready");
        return app;
    }
}
