import { site } from "./site";

export default function Home() {
  return (
    <main className="page">
      <h1>{site.title}</h1>
      {site.tagline ? <p className="tagline">{site.tagline}</p> : null}
      <p>
        This is the <code>{site.name}</code> service. Edit <code>app/page.js</code>, commit,
        and deploy again to change this page.
      </p>
      <p>
        Health check: <a href="/api/health">/api/health</a>
      </p>
    </main>
  );
}
