from django.contrib import admin

from .models import Subscriber, Subscription, Suppression


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["kinds", "frequency", "sources", "created_at"]
    readonly_fields = ["created_at"]
    filter_horizontal = ["sources"]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "confirmed_at", "unsubscribed_at", "created_at"]
    list_filter = [("confirmed_at", admin.EmptyFieldListFilter), ("unsubscribed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    readonly_fields = ["email", "confirmed_at", "unsubscribed_at", "created_at"]
    inlines = [SubscriptionInline]

    def has_add_permission(self, request):
        return False  # only the address's owner subscribes it, by the confirmation link


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    fields = ["email", "reason", "at"]
