// Outstanding offers: resources the master has offered a framework and
// that it has not yet accepted or declined. Offers come and go with no
// event, so the list reloads every two seconds.
import { html } from "../html.js";
import { useApi } from "../api.js";
import { Page, Table, Loaded, Link, Ago, Mono } from "../components.js";
import { useNames } from "../names.js";
import { resources } from "../format.js";

export function OffersPage() {
  const offers = useApi("api/v1/offers", { every: 2 });
  const names = useNames();
  return html`
    <${Page} title="Offers" subtitle="Made to frameworks, not yet accepted, declined or rescinded (oldest first).">
      <${Loaded} answer=${offers} what="offers">
        ${(d) => html`<${OfferTable} offers=${d.offers} names=${names} />`}
      </${Loaded}>
    </${Page}>
  `;
}

export function OfferTable({ offers, names }) {
  return html`<${Table}
    testid="offers"
    rows=${offers}
    rowKey=${(o) => o.offer.offer_id}
    empty="No outstanding offers."
    columns=${[
      ["Offer", (o) => html`<${Mono}>${o.offer.offer_id}</${Mono}>`],
      ["Framework", (o) => names.framework(o.offer.framework_id)],
      ["Agent", (o) => html`<${Link} to=${"/agents/" + o.offer.agent_id}>${o.offer.hostname}</${Link}>`],
      ["Resources", (o) => resources(o.offer.resources)],
      ["Age", (o) => html`<${Ago} at=${o.created_at} />`],
    ]}
  />`;
}
