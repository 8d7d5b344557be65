using Coffer.Contracts.Mfa;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Http;
using Coffer.Sdk.Mfa;

namespace Coffer.Cli.Agent;

/// <summary>
/// The agent's answer to <c>step-up-required</c> (docs/adr/0024), set on every session it holds: the SDK then steps up and
/// sends the refused request once more. A member with a factor is asked for a code by the person behind the request being
/// served (the same prompt conversation as a sign-in's factor, naming the action); one without a factor re-proves SRP with
/// the keys the agent holds, asking nothing. The person is per request (an async-local value), as one session serves
/// concurrent commands.
/// </summary>
internal sealed class AgentStepUp(SignInResult signIn) : IStepUpHandler
{
    private static readonly AsyncLocal<AgentConversation?> CurrentPerson = new();

    /// <summary>The person behind the request this call serves (null: nobody to ask).</summary>
    public static AgentConversation? Person
    {
        get => CurrentPerson.Value;
        set => CurrentPerson.Value = value;
    }

    public static void Attach(SignInResult signIn) => signIn.Session.StepUpHandler = new AgentStepUp(signIn);

    public async Task StepUpAsync(CofferSession session, StepUpChallenge challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        MfaClient client = new(session);
        if (challenge.BySrp)
        {
            await client.StepUpWithSrpAsync(signIn.AccountKeys, signIn.Kdf, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (Person is not { } person)
        {
            return;   // nobody to ask: the retry is refused again and reported as such
        }
        person.Server = session.Connection.ServerUrl;
        await client.StepUpAsync(new StepUpPrompt(person, challenge.Action), challenge.Methods, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The person's codes for one step-up: every prompt names the action being confirmed.</summary>
    private sealed class StepUpPrompt(AgentConversation person, string action) : IMfaHandler
    {
        public Task<MfaCode> GetCodeAsync(IReadOnlyList<string> methods, CancellationToken cancellationToken) =>
            person.GetStepUpCodeAsync(action, methods, cancellationToken);

        public Task<string> EnrolAsync(TotpEnrolment enrolment, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("A step-up never enrols a factor.");

        public Task<WebAuthnAssertionCredentialDto> GetSecurityKeyAssertionAsync(WebAuthnRequestOptionsDto options, CancellationToken cancellationToken) =>
            person.GetSecurityKeyAssertionAsync(options, cancellationToken);
    }
}
