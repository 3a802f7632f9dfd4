"""A minimal Django site serving django-helpdesk's public ticket form, for the peer benchmark."""
