// GET /api/health: the platform's health check. Keep it cheap and dependency-free.
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ status: "ok" });
}
