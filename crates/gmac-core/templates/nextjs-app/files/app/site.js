// Values chosen when the service was created. Edit them freely.
export const site = {
  name: "{{ service_name }}",
  title: "{{ app_title }}",
  tagline: "{% if tagline is defined and tagline %}{{ tagline }}{% endif %}",
};
