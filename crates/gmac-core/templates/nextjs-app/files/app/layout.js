import "./globals.css";
import { site } from "./site";

export const metadata = {
  title: site.title,
  description: site.tagline || `The ${site.name} web app.`,
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
