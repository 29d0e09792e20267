// castellan's own pages. Plain DOM, no framework, no inline code (the pages' Content-Security-Policy
// allows only this file). The URL fragment (which never reaches the server) picks the view:
//   #/sso?...                 start single sign-on (the official clients open it; so does the
//                             invitation's "Finish account setup" link)
//   #/accept-organization?... the invitation landing: how to accept without a web vault
//   #/finish-signup?...       the landing of a new account's e-mail verification link: how to finish
//   #/login?...&error=...     why a single sign-on was refused, and what to do
// /redirect-connector.html#finish-signup?... (the link's official shape) forwards to #/finish-signup.
// /sso-connector.html ends the web client's sign-in: it redeems the code and, for a new account,
// derives the master password's keys here with WebCrypto and sets them with set-password.
'use strict';

(function () {
  const view = document.getElementById('view');
  const title = document.getElementById('title');
  const utf8 = new TextEncoder();
  const storageKey = 'castellan-sso';
  const kdfIterations = 600000;

  // el builds an element; text is set as text, never parsed as HTML.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  function show(heading, ...children) {
    title.textContent = heading;
    document.title = heading + ' · castellan';
    view.replaceChildren(...children);
    title.setAttribute('tabindex', '-1');
    title.focus();
  }

  // status is the live region where progress and errors are announced.
  function status() {
    return el('p', { id: 'status', role: 'status', 'aria-live': 'polite' });
  }

  function say(message, isError) {
    const s = document.getElementById('status');
    if (!s) return;
    s.textContent = message;
    s.className = isError ? 'error' : '';
    s.setAttribute('role', isError ? 'alert' : 'status');
  }

  function params(query) {
    return new URLSearchParams(query || '');
  }

  // ---- bytes and encodings ----

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let i = 0;
    for (const p of parts) {
      out.set(p, i);
      i += p.length;
    }
    return out;
  }

  function b64(bytes) {
    let s = '';
    for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
    return btoa(s);
  }

  function b64url(bytes) {
    return b64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function unb64(s) {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }

  function randomText(bytes) {
    return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
  }

  // ---- Bitwarden key derivation with WebCrypto ----

  async function pbkdf2(password, salt, iterations) {
    const key = await crypto.subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
    return new Uint8Array(bits);
  }

  async function hmac(key, data) {
    const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign('HMAC', k, data));
  }

  // hkdfExpand is HKDF-Expand-SHA256 to 32 bytes without the extract step: one HMAC block.
  function hkdfExpand(prk, info) {
    return hmac(prk, concat(utf8.encode(info), new Uint8Array([1])));
  }

  // encrypt makes a type 2 EncString: AES-256-CBC under key[0:32], HMAC-SHA256 under key[32:64].
  async function encrypt(key, plain) {
    const iv = crypto.getRandomValues(new Uint8Array(16));
    const k = await crypto.subtle.importKey('raw', key.slice(0, 32), 'AES-CBC', false, ['encrypt']);
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, k, plain));
    const mac = await hmac(key.slice(32, 64), concat(iv, ct));
    return '2.' + b64(iv) + '|' + b64(ct) + '|' + b64(mac);
  }

  // accountKeys derives what set-password needs from the master password: the master key
  // (PBKDF2-SHA256 over the lower-cased email), its hash (one more PBKDF2 round, salted with the
  // password), the stretched key (HKDF-Expand "enc" and "mac"), a new user key wrapped by it, and a
  // new RSA-2048 key pair whose private key is wrapped by the user key. Nothing secret leaves here.
  async function accountKeys(email, password) {
    const pw = utf8.encode(password);
    const masterKey = await pbkdf2(pw, utf8.encode(email.trim().toLowerCase()), kdfIterations);
    const hash = b64(await pbkdf2(masterKey, pw, 1));
    const stretched = concat(await hkdfExpand(masterKey, 'enc'), await hkdfExpand(masterKey, 'mac'));
    const userKey = crypto.getRandomValues(new Uint8Array(64));
    const pair = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-1' }, true, ['encrypt', 'decrypt']);
    const spki = await crypto.subtle.exportKey('spki', pair.publicKey);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    return { hash, key: await encrypt(stretched, userKey), publicKey: b64(spki),
      encryptedPrivateKey: await encrypt(userKey, pkcs8), userKey };
  }

  // shareKey encrypts the user key to an organization's public key (type 4: RSA-OAEP-SHA1).
  async function shareKey(userKey, publicKeyB64) {
    const k = await crypto.subtle.importKey('spki', unb64(publicKeyB64), { name: 'RSA-OAEP', hash: 'SHA-1' },
      false, ['encrypt']);
    return '4.' + b64(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, k, userKey));
  }

  // ---- server calls ----

  async function api(method, path, token, body) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store' });
    const text = await resp.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!resp.ok) {
      const msg = (data && (data.message || (data.ErrorModel && data.ErrorModel.Message) ||
        data.error_description)) || 'The server refused the request (' + resp.status + ').';
      throw new Error(msg);
    }
    return data;
  }

  function jwtSubject(token) {
    try {
      return JSON.parse(new TextDecoder().decode(unb64(token.split('.')[1]))).sub;
    } catch (e) {
      return '';
    }
  }

  // ---- #/sso ----

  function ssoView(q) {
    const input = el('input', { id: 'identifier', name: 'identifier', type: 'text', required: '',
      autocomplete: 'organization', autocapitalize: 'none', spellcheck: 'false',
      value: q.get('identifier') || q.get('email') || '' });
    const form = el('form', { id: 'sso-form', novalidate: '' },
      el('label', { for: 'identifier' }, 'SSO identifier or e-mail address'),
      el('p', { class: 'hint', id: 'identifier-hint' }, 'Your organization gives you this name. If it has ' +
        'claimed the domain of your e-mail address, the address is enough.'),
      input, el('button', { type: 'submit' }, 'Continue'), status());
    input.setAttribute('aria-describedby', 'identifier-hint');
    const intro = q.get('email') ?
      el('p', {}, 'Sign in as ' + q.get('email') + ' through your organization\'s identity provider.') :
      el('p', {}, 'Sign in through your organization\'s identity provider.');
    show('Single sign-on', intro, form);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      resolveIdentifier(input.value.trim()).then((id) => startSSO(q, id)).catch((e) => say(e.message, true));
    });
    if (q.get('clientId') && q.get('identifier')) {
      startSSO(q, q.get('identifier')).catch((e) => say(e.message, true));
    }
  }

  // resolveIdentifier turns what was typed into an SSO identifier. An e-mail address is looked up
  // among the organizations that claim its domain and can sign in with SSO (identifier-less sign-in,
  // POST /api/organizations/domain/sso/verified); anything else is the identifier itself.
  async function resolveIdentifier(value) {
    if (!value.includes('@')) return value;
    say('Looking up your organization…');
    const found = await api('POST', '/api/organizations/domain/sso/verified', null, { email: value });
    const list = (found && found.data) || [];
    if (list.length !== 1) {
      throw new Error('No organization with single sign-on has claimed the domain of ' + value +
        '. Enter your organization\'s SSO identifier instead.');
    }
    return list[0].organizationIdentifier;
  }

  // startSSO prevalidates the identifier and sends the browser to authorize: with the official
  // client's own parameters when it opened this page, else as the web client with a state and PKCE
  // verifier made here and kept for /sso-connector.html.
  async function startSSO(q, identifier) {
    if (!identifier) throw new Error('Enter your organization\'s SSO identifier.');
    say('Checking the identifier…');
    const pre = await api('GET', '/identity/sso/prevalidate?domainHint=' + encodeURIComponent(identifier));
    let client = { id: q.get('clientId'), redirect: q.get('redirectUri'), state: q.get('state'),
      challenge: q.get('codeChallenge') };
    if (!client.id) {
      const verifier = randomText(48);
      const digest = await crypto.subtle.digest('SHA-256', utf8.encode(verifier));
      client = { id: 'web', redirect: location.origin + '/sso-connector.html', state: randomText(32),
        challenge: b64url(digest) };
      sessionStorage.setItem(storageKey, JSON.stringify({ state: client.state, verifier, identifier,
        email: q.get('email') || '', redirect: client.redirect }));
    }
    const a = new URLSearchParams({ client_id: client.id, redirect_uri: client.redirect, response_type: 'code',
      scope: 'api offline_access', state: client.state + '_identifier=' + identifier,
      code_challenge: client.challenge, code_challenge_method: 'S256', response_mode: 'query',
      domain_hint: identifier, ssoToken: pre.token });
    say('Continuing to your identity provider…');
    location.assign('/identity/connect/authorize?' + a.toString());
  }

  // ---- #/accept-organization ----

  // command shows a command line to copy, with this page's own link in it.
  function command(text) {
    return el('pre', {}, el('code', {}, text));
  }

  // shellQuote quotes a link for a POSIX shell.
  function shellQuote(s) {
    return "'" + s.replace(/'/g, "'\\''") + "'";
  }

  function inviteView(q) {
    const org = q.get('organizationName') || 'an organization';
    const email = q.get('email') || 'your address';
    const parts = [el('p', {}, 'You have been invited to join ' + org + ' as ' + email + '.')];
    const sso = q.get('orgSsoIdentifier');
    if (sso) {
      const link = el('a', { href: '#/sso?' + new URLSearchParams({ identifier: sso, email: q.get('email') || '' }) },
        'Finish account setup with single sign-on');
      parts.push(el('p', {}, org + ' signs its members in through its identity provider.'), el('p', {}, link));
    }
    const link = shellQuote(location.href);
    if (q.get('orgUserHasExistingUser') === 'true') {
      parts.push(el('p', {}, 'To accept with your master password, run castellan\'s command line with the ' +
        'master password in CASTELLAN_ACCOUNT_PASSWORD (or a file named by --password-file):'),
      command('castellan account accept-invite ' + link));
    } else {
      parts.push(el('p', {}, 'You have no account on this server yet. Create it and accept in one step with ' +
        'castellan\'s command line, with your new master password (at least 12 characters) in ' +
        'CASTELLAN_ACCOUNT_PASSWORD:'), command('castellan account register --invite-link ' + link),
      el('p', {}, 'Or create the account in the Bitwarden browser extension, desktop or mobile app: choose ' +
        '"Create account", set the server to self-hosted ' + location.origin + ', and use ' + email +
        '. Then accept with: '), command('castellan account accept-invite ' + link));
    }
    parts.push(el('p', { class: 'muted' }, 'An administrator confirms you after you accept; then the ' +
      'organization\'s items appear in your vault.'));
    show('Invitation', ...parts);
  }

  // ---- #/finish-signup ----

  function finishSignupView(q) {
    const email = q.get('email') || 'your address';
    show('Finish creating your account',
      el('p', {}, 'This link verifies ' + email + '. Finish creating the account with castellan\'s command ' +
        'line, with your new master password (at least 12 characters) in CASTELLAN_ACCOUNT_PASSWORD:'),
      command('castellan account register --verification-link ' + shellQuote(location.href)),
      el('p', { class: 'muted' }, 'The link is valid for 24 hours. Then log in from any Bitwarden app ' +
        'connected to ' + location.origin + '.'));
  }

  // ---- #/login?error=... ----

  function loginView(q) {
    const org = q.get('organizationName') || 'the organization';
    const email = q.get('email') || 'your address';
    const messages = {
      ssoOrgMembershipRequired: 'An account with ' + email + ' exists already, but it is not a member of ' + org +
        '. Ask an administrator of ' + org + ' to invite you; accept the invitation by logging in with your ' +
        'master password; then single sign-on works.',
      ssoOrgInviteAcceptanceRequired: 'You have been invited to ' + org + '. Log in to your account with your ' +
        'master password and accept the invitation first; then single sign-on works.',
    };
    const msg = messages[q.get('error')];
    show(msg ? 'Single sign-on is not possible yet' : 'Log in',
      el('p', { role: msg ? 'alert' : null }, msg || 'Log in from a Bitwarden app connected to this server.'));
  }

  // ---- /sso-connector.html ----

  async function connector() {
    const q = params(location.search);
    const flow = JSON.parse(sessionStorage.getItem(storageKey) || 'null');
    const state = (q.get('state') || '').split('_identifier=')[0];
    if (!flow || !q.get('code') || state !== flow.state) {
      show('Single sign-on', el('p', {}, 'Return to your Bitwarden app to finish signing in.'));
      return;
    }
    sessionStorage.removeItem(storageKey);
    show('Single sign-on', status());
    say('Signing in…');
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: q.get('code'),
      code_verifier: flow.verifier, redirect_uri: flow.redirect, client_id: 'web', scope: 'api offline_access',
      deviceType: '9', deviceIdentifier: crypto.randomUUID(), deviceName: 'castellan web' });
    const resp = await fetch('/identity/connect/token', { method: 'POST', body: form, cache: 'no-store',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', Accept: 'application/json' } });
    const tok = await resp.json().catch(() => ({}));
    if (!resp.ok || !tok.access_token) {
      say((tok.ErrorModel && tok.ErrorModel.Message) || 'The sign-in could not be completed. Start it again.', true);
      return;
    }
    const udo = tok.UserDecryptionOptions || {};
    if (udo.HasMasterPassword) {
      show('Signed in', el('p', {}, 'Your account is set up. Use a Bitwarden app connected to ' + location.origin +
        ' to open your vault.'));
      return;
    }
    passwordView(tok.access_token, flow);
  }

  // passwordView asks for the new master password and sets it.
  function passwordView(token, flow) {
    const field = (id, label, type, extra) => [el('label', { for: id }, label),
      el('input', Object.assign({ id, name: id, type, autocomplete: 'new-password' }, extra || {}))];
    const form = el('form', { id: 'password-form', novalidate: '' },
      ...field('password', 'Master password (at least 12 characters)', 'password', { required: '', minlength: '12' }),
      ...field('confirm', 'Confirm master password', 'password', { required: '' }),
      ...field('hint', 'Master password hint (optional)', 'text', { autocomplete: 'off', maxlength: '50' }),
      el('button', { type: 'submit' }, 'Set master password'), status());
    show('Set your master password',
      el('p', {}, 'Your master password encrypts your vault. It never leaves this browser: the keys are made ' +
        'here. Nobody, not even an administrator, can recover it for you.'), form);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      setPassword(token, flow, form).catch((e) => say(e.message, true));
    });
  }

  async function setPassword(token, flow, form) {
    const pw = form.elements.password.value;
    if (pw.length < 12) throw new Error('The master password must have at least 12 characters.');
    if (pw !== form.elements.confirm.value) throw new Error('The two master passwords differ.');
    const email = flow.email || (await api('GET', '/api/accounts/profile', token)).email;
    say('Making your keys… this takes a few seconds.');
    const enroll = await api('GET', '/api/organizations/' + encodeURIComponent(flow.identifier) +
      '/auto-enroll-status', token);
    const k = await accountKeys(email, pw);
    await api('POST', '/api/accounts/set-password', token, { masterPasswordHash: k.hash, key: k.key,
      keys: { publicKey: k.publicKey, encryptedPrivateKey: k.encryptedPrivateKey }, kdf: 0,
      kdfIterations, masterPasswordHint: form.elements.hint.value || null, orgIdentifier: flow.identifier });
    if (enroll && enroll.resetPasswordEnabled) {
      const org = await api('GET', '/api/organizations/' + enroll.id + '/public-key', token);
      await api('PUT', '/api/organizations/' + enroll.id + '/users/' + jwtSubject(token) +
        '/reset-password-enrollment', token, { resetPasswordKey: await shareKey(k.userKey, org.publicKey),
        masterPasswordHash: k.hash });
    }
    show('Account ready', el('p', { role: 'status' }, 'Your master password is set and you have joined the ' +
      'organization. An administrator confirms you next; then its items appear in your vault. Log in from a ' +
      'Bitwarden app connected to ' + location.origin + ' with ' + email + ' and your master password.'));
  }

  // ---- routing ----

  function route() {
    if (location.pathname === '/sso-connector.html') {
      connector().catch((e) => say(e.message, true));
      return;
    }
    if (location.pathname === '/redirect-connector.html') {
      // The official link shape keeps the route in the fragment without the "/": forward it to
      // this page's own route, on this origin only.
      if (location.hash.startsWith('#finish-signup?')) {
        location.replace('/#/' + location.hash.slice(1));
      }
      return;
    }
    const [path, query] = location.hash.replace(/^#/, '').split('?');
    const q = params(query);
    if (path === '/sso') ssoView(q);
    else if (path === '/accept-organization') inviteView(q);
    else if (path === '/finish-signup') finishSignupView(q);
    else if (path === '/login') loginView(q);
  }

  window.addEventListener('hashchange', route);
  route();
})();
