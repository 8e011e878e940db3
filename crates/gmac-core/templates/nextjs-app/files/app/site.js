// Values chosen when the service was created. Edit them freely.
export const site = {
  name: {{ service_name|tojson }},
  title: {{ app_title|tojson }},
  tagline: {{ tagline|tojson }},
};
