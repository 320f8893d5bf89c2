"""Django admin for the clinic's set-up (owner only). Patient data is never edited here."""

from django.contrib import admin

from glabella.clinic.models import (
    ClosedDay,
    Location,
    OpeningHours,
    Organisation,
    Room,
    Service,
    ServiceArea,
)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    fields = ["label"]
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    fields = ["day", "reason"]
    extra = 0


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "time_zone", "active"]
    inlines = [OpeningHoursInline, ClosedDayInline, ServiceAreaInline, RoomInline]
    filter_horizontal = ["staff", "on_call"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "duration_minutes", "price", "bookable_online", "active"]
    filter_horizontal = ["rooms"]


admin.site.register(Organisation)
