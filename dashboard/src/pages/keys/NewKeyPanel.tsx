import { SecretPanel } from "../../components/SecretPanel";
import { curlExample } from "./scopes";

/** The secret of a key just created: the only time anyone sees it. */
export function NewKeyPanel({ name, secret, onDone }: { name: string; secret: string; onDone(): void }) {
  return (
    <SecretPanel title={`Copy the key “${name}” now`} name="API key" secret={secret} doneLabel="I have stored the key" onDone={onDone}>
      <p>
        This is the only time Hop shows this key: it keeps only a fingerprint of it. Store it somewhere safe, such as a password manager or your
        deployment's secret store. Lost it? Revoke it and create another.
      </p>
      <p>
        Send it in the <code className="font-mono">X-API-Key</code> header, e.g. <code className="font-mono break-all">{curlExample(window.location.origin)}</code>
      </p>
    </SecretPanel>
  );
}
