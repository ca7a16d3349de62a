/** What routing a link has, on its page: badges beside its status, and a card listing its rules and split. */
import { Route, Split } from "lucide-react";
import { Badge } from "../../components/Badge";
import { Card } from "../../components/Card";
import type { Link } from "./queries";
import { describeConditions, rulesLabel, splitLabel, variantPercentages } from "./routing";

/** "3 rules", "A/B 70/30": nothing for a link that sends everyone to its target. */
export function RoutingBadges({ link }: { link: Link }) {
  const rules = link.rules ?? [];
  const variants = link.variants ?? [];
  return (
    <>
      {rules.length > 0 && (
        <Badge tone="info" icon={Route} title="Targeting rules send matching visitors to other targets">
          {rulesLabel(rules.length)}
        </Badge>
      )}
      {variants.length > 0 && (
        <Badge tone="info" icon={Split} title="The visitors no rule matches are split between targets">
          A/B {splitLabel(variants)}
        </Badge>
      )}
    </>
  );
}

function Target({ url }: { url: string }) {
  return (
    <a href={url} target="_blank" rel="noopener noreferrer" className="break-all text-indigo-700 hover:underline dark:text-indigo-300">
      {url}
    </a>
  );
}

/** The rules in order and the split with each variant's share; nothing for a link without either. */
export function LinkRouting({ link }: { link: Link }) {
  const rules = link.rules ?? [];
  const variants = link.variants ?? [];
  if (rules.length === 0 && variants.length === 0) return null;
  const shares = variantPercentages(variants.map((variant) => String(variant.weight)));
  return (
    <Card title="Routing">
      <div className="space-y-4 text-sm">
        {rules.length > 0 && (
          <div className="space-y-2">
            <h3 className="font-medium text-slate-700 dark:text-slate-200">Rules, first match wins</h3>
            <ol className="space-y-2">
              {rules.map((rule, index) => (
                <li key={rule.name ?? index} className="rounded-md border border-slate-200 p-2 dark:border-slate-700">
                  <p className="font-medium">
                    {index + 1}. {rule.name}
                  </p>
                  <p className="text-xs text-slate-600 dark:text-slate-300">{describeConditions(rule.conditions).join(" · ")}</p>
                  <p className="mt-1 text-xs">
                    → <Target url={rule.target} />
                  </p>
                </li>
              ))}
            </ol>
          </div>
        )}
        {variants.length > 0 && (
          <div className="space-y-2">
            <h3 className="font-medium text-slate-700 dark:text-slate-200">A/B split{rules.length > 0 ? " of everyone else" : ""}</h3>
            <ul className="space-y-1">
              {variants.map((variant, index) => (
                <li key={variant.name ?? index} className="grid grid-cols-[auto_3rem_minmax(0,1fr)] gap-2 text-xs">
                  <span className="font-medium">{variant.name}</span>
                  <span className="text-right tabular-nums">{shares[index]}%</span>
                  <Target url={variant.target} />
                </li>
              ))}
            </ul>
          </div>
        )}
        <p className="text-xs text-slate-500 dark:text-slate-400">
          {variants.length > 0 ? "The target URL is used again when the split is removed." : "Everyone else goes to the target URL."}
        </p>
      </div>
    </Card>
  );
}
