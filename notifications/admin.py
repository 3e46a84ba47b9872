from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, for whoever runs the newsroom: what went out, what waits, what failed and why."""

    list_display = ["created_at", "event", "recipient", "item", "status", "attempts", "due_at", "sent_at"]
    list_filter = ["status", "event"]
    list_select_related = ["recipient", "transition__content_type"]
    search_fields = ["recipient__username", "recipient__email", "last_error"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("item"))
    def item(self, obj):
        return f"{obj.transition.content_type.name} {obj.transition.object_id}, version {obj.transition.version}"

    @admin.action(description=_("Send the selected failed notifications again"), permissions=["change"])
    def send_again(self, request, queryset):
        rows = queryset.filter(status=Notification.Status.FAILED)
        pending = [(pk, timezone.now()) for pk in rows.values_list("pk", flat=True)]
        rows.update(status=Notification.Status.PENDING, attempts=0, due_at=timezone.now())
        services.enqueue(pending)
        self.message_user(request, _("%(count)s notifications queued again.") % {"count": len(pending)}, messages.SUCCESS)


class MyPreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["submitted_for_review"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Everyone's preferences for the administrators, and each member of staff's own page (``mine``)."""

    list_display = ["user", "submitted_for_review"]
    list_filter = ["submitted_for_review"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]

    def get_urls(self):
        return [
            path("mine/", self.admin_site.admin_view(self.mine_view), name="notifications_notificationpreference_mine"),
            *super().get_urls(),
        ]

    def mine_view(self, request):
        """Any member of staff edits their own preferences here, and only their own (the link in every such mail)."""
        preference = NotificationPreference.objects.filter(user=request.user).first() or NotificationPreference(
            user=request.user
        )
        form = MyPreferencesForm(request.POST if request.method == "POST" else None, instance=preference)
        if request.method == "POST" and form.is_valid():
            form.save()
            self.message_user(request, _("Your notification preferences are saved."), messages.SUCCESS)
            return redirect("admin:notifications_notificationpreference_mine")
        context = {
            **self.admin_site.each_context(request),
            "title": _("My e-mail notifications"),
            "form": form,
            "opts": self.opts,
        }
        return TemplateResponse(request, "notifications/preferences.html", context)
