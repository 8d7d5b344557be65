// Coffer's security-key page (docs/adr/0026, "Browser ceremony"). The Coffer client on this computer waits on a
// one-time loopback address given in this page's fragment (never sent to the server). The page takes the WebAuthn
// options from there, asks the browser for the credential and hands the result back. No session token, no secret
// and no server call: the origin the authenticator signs is this server's, which is what the server checks.
'use strict';

(function () {
  const statusLine = document.getElementById('status');
  const purposeLine = document.getElementById('purpose');
  const say = (text) => { statusLine.textContent = text; };

  // Exactly http://127.0.0.1:PORT/STATE with a 32-byte base64url state: anything else could send the credential to
  // another host, so the page refuses it.
  const callbackPattern = /^http:\/\/127\.0\.0\.1:([1-9][0-9]{0,4})\/([A-Za-z0-9_-]{43})$/;

  function fromBase64Url(text) {
    if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) {
      throw new TypeError('not base64url');
    }
    const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  function toBase64Url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map((d) => {
      const descriptor = { type: d.type, id: fromBase64Url(d.id) };
      if (Array.isArray(d.transports)) {
        descriptor.transports = d.transports;
      }
      return descriptor;
    });
  }

  function creationOptions(o) {
    return {
      rp: { id: o.rp.id, name: o.rp.name },
      user: { id: fromBase64Url(o.user.id), name: o.user.name, displayName: o.user.displayName },
      challenge: fromBase64Url(o.challenge),
      pubKeyCredParams: o.pubKeyCredParams.map((p) => ({ type: p.type, alg: p.alg })),
      timeout: o.timeout,
      excludeCredentials: descriptors(o.excludeCredentials),
      authenticatorSelection: {
        residentKey: o.authenticatorSelection.residentKey,
        requireResidentKey: o.authenticatorSelection.requireResidentKey,
        userVerification: o.authenticatorSelection.userVerification,
      },
      attestation: o.attestation,
    };
  }

  function requestOptions(o) {
    return {
      challenge: fromBase64Url(o.challenge),
      timeout: o.timeout,
      rpId: o.rpId,
      allowCredentials: descriptors(o.allowCredentials),
      userVerification: o.userVerification,
    };
  }

  // Exactly the members Coffer's contracts name, optional ones as null: the client refuses unknown or missing ones.
  function registrationJson(credential) {
    const response = {
      clientDataJSON: toBase64Url(credential.response.clientDataJSON),
      attestationObject: toBase64Url(credential.response.attestationObject),
      transports: typeof credential.response.getTransports === 'function' ? credential.response.getTransports() : null,
    };
    return { id: credential.id, rawId: toBase64Url(credential.rawId), type: credential.type, response: response };
  }

  function assertionJson(credential) {
    const response = {
      clientDataJSON: toBase64Url(credential.response.clientDataJSON),
      authenticatorData: toBase64Url(credential.response.authenticatorData),
      signature: toBase64Url(credential.response.signature),
      userHandle: credential.response.userHandle ? toBase64Url(credential.response.userHandle) : null,
    };
    return { id: credential.id, rawId: toBase64Url(credential.rawId), type: credential.type, response: response };
  }

  async function run() {
    const callback = window.location.hash.slice(1);
    if (!callbackPattern.test(callback) || Number(callbackPattern.exec(callback)[1]) > 65535) {
      say('This page only works with the one-time address the Coffer command line prints. Nothing was sent.');
      return;
    }
    // The state stays out of the history and out of anything copied from the address bar.
    window.history.replaceState(null, '', window.location.pathname);

    const fetchOptions = { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
    let request;
    try {
      const answer = await fetch(callback + '/options', Object.assign({ method: 'GET' }, fetchOptions));
      if (!answer.ok) {
        throw new Error('status ' + answer.status);
      }
      request = await answer.json();
    } catch (e) {
      say('Coffer on this computer is not waiting for a security key any more. Start again from the terminal.');
      return;
    }
    if (typeof request.purpose === 'string') {
      purposeLine.textContent = request.purpose;
    }

    let result;
    say('Use your security key now.');
    try {
      if (request.op === 'create') {
        const credential = await navigator.credentials.create({ publicKey: creationOptions(request.publicKey) });
        result = { credential: registrationJson(credential) };
      } else if (request.op === 'get') {
        const credential = await navigator.credentials.get({ publicKey: requestOptions(request.publicKey) });
        result = { credential: assertionJson(credential) };
      } else {
        result = { error: 'NotSupportedError' };
      }
    } catch (e) {
      result = { error: (e && typeof e.name === 'string' && /^[A-Za-z]{1,64}$/.test(e.name)) ? e.name : 'UnknownError' };
    }

    try {
      // text/plain keeps this a simple request: no CORS preflight.
      const answer = await fetch(callback + '/result', Object.assign({
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify(result),
      }, fetchOptions));
      if (!answer.ok) {
        throw new Error('status ' + answer.status);
      }
    } catch (e) {
      say('Coffer on this computer did not take the answer. Start again from the terminal.');
      return;
    }
    say(result.credential
      ? 'Done. Return to the terminal; you can close this page.'
      : 'The security key was not used (' + result.error + '). Return to the terminal.');
  }

  // A new one-time address pasted into the same tab only changes the fragment: start afresh.
  window.addEventListener('hashchange', () => window.location.reload());
  run();
}());
