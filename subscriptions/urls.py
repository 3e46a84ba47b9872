from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("subscription/<str:token>/", views.manage, name="manage"),
    path("stop/<str:token>/", views.stop, name="stop"),
]
