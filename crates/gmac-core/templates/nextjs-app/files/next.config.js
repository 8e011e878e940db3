/** @type {import("next").NextConfig} */
const nextConfig = {
  // Emit .next/standalone with a minimal server.js and only the needed node_modules.
  output: "standalone",
  poweredByHeader: false,
};

module.exports = nextConfig;
